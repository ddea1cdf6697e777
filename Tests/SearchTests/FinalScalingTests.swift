import XCTest
import CPUBackend
import Data
import NetIR
import Train
@testable import Search

/// The final network is retrained wider when the time left allows (`FinalScaling`): the scaled network keeps
/// its layout and classes, the run's final.py is the network that was trained, and the option turns it off.
final class FinalScalingTests: XCTestCase {
    func testScalingWidensHiddenLayersAndKeepsTheClassifier() throws {
        let input = TensorShape(channels: 1, height: 28, width: 28)
        let found = try BuiltinNetwork.smallcnn.graph(input: input)
        let wider = try XCTUnwrap(FinalScaling.scaled(found, by: 2))
        func widths(_ g: Graph) -> [Int] {
            g.nodes.compactMap {
                switch $0.layer {
                case .conv2d(let a): return a.outChannels
                case .linear(_, let o, _): return o
                default: return nil
                }
            }
        }
        let before = widths(found), after = widths(wider)
        XCTAssertEqual(before.count, after.count, "same layers")
        XCTAssertEqual(after.last, 10, "the classifier keeps the class count")
        for (b, a) in zip(before.dropLast(), after.dropLast()) { XCTAssertEqual(a, 2 * b) }
        XCTAssertEqual(try wider.inferShapes()[wider.output], TensorShape(features: 10))
        XCTAssertGreaterThan(try wider.cost().flops, 3 * (try found.cost().flops))
    }

    func testLayersThatCannotWidenKeepTheirWidthAndTheRestWiden() throws {
        // The 1-channel convolution's output is added to the 1-channel input: widening it breaks the add, so it
        // keeps its width while the Linear layers widen (a network `scripts/run` seed 0 found, shortened).
        let source = """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 1, 1)
                self.relu = nn.ReLU()
                self.flatten = nn.Flatten()
                self.fc2 = nn.Linear(784, 128)
                self.fc1 = nn.Linear(128, 10)
            def forward(self, x):
                x1 = self.conv1(x)
                x2 = self.relu(x1) + x
                return self.fc1(self.relu(self.fc2(self.flatten(x2))))
        """
        let found = try NetworkCodec.pytorch(input: TensorShape(channels: 1, height: 28, width: 28)).parse(source, "found.py")
        let wider = try XCTUnwrap(FinalScaling.scaled(found, by: 2))
        let layers = Dictionary(uniqueKeysWithValues: wider.nodes.map { ($0.name, $0.layer) })
        guard case .conv2d(let conv)? = layers["conv1"], case .linear(_, let hidden, _)? = layers["fc2"],
              case .linear(let inF, let classes, _)? = layers["fc1"] else { return XCTFail("layers renamed") }
        XCTAssertEqual(conv.outChannels, 1)
        XCTAssertEqual(hidden, 256)
        XCTAssertEqual(inF, 256)
        XCTAssertEqual(classes, 10)
    }

    func testFinalNetworkIsRetrainedWiderWhenTheTimeAllows() async throws {
        for scaling in [true, false] {
            let (engine, dir, config) = try await FinalPhaseFixture.searched("scaling-\(scaling)")
            defer { try? FileManager.default.removeItem(atPath: dir.root) }
            engine.scalesFinalNetwork = scaling
            // A few seconds train these networks for far more than the target epochs on 768 images.
            let result = await engine.finalNetwork(seconds: 8, promotions: [])
            let final = try XCTUnwrap(result)
            XCTAssertNil(final.failure)
            let source = try XCTUnwrap(dir.read(final.source))
            let codec = NetworkCodec.pytorch(input: TensorShape(config.input))
            let trained = try codec.parse(source, final.source)
            let found = try codec.parse(try XCTUnwrap(dir.read(dir.candidateFile(final.candidate, .source))), "found.py")
            if scaling {
                let factor = try XCTUnwrap(final.widthFactor, "scaled")
                XCTAssertGreaterThan(factor, 1)
                XCTAssertGreaterThan(trained.parameterCount, found.parameterCount, "final.py is the wider network")
                XCTAssertLessThanOrEqual(try trained.cost().parameters, config.limits.maxParameters)
            } else {
                XCTAssertNil(final.widthFactor)
                XCTAssertEqual(trained.parameterCount, found.parameterCount, "final.py is the network as found")
            }
            // The saved weights are the trained network's: they load strictly into final.py.
            let trainer = try Trainer(graph: trained, config: config.training.trainingConfig(seed: 0), backend: CPUBackend(threads: 1))
            try trainer.loadWeights(from: try XCTUnwrap(final.weights), strict: true)
        }
    }

    /// The first factor is taken down to the recipe's augmentation epochs, every wider one needs the target.
    func testFirstFactorNeedsOnlyTheAugmentationEpochs() throws {
        let first = try XCTUnwrap(FinalScaling.factors.first), second = FinalScaling.factors[1]
        let augmentation = Double(FinalRecipe.augmentationMinEpochs)
        XCTAssertLessThan(augmentation, FinalScaling.targetEpochs, "the rule differs between factors only if this holds")
        XCTAssertTrue(FinalScaling.fits(epochs: augmentation, factor: first))
        XCTAssertFalse(FinalScaling.fits(epochs: augmentation - 0.1, factor: first))
        XCTAssertFalse(FinalScaling.fits(epochs: augmentation, factor: second))
        XCTAssertTrue(FinalScaling.fits(epochs: FinalScaling.targetEpochs, factor: second))
    }
}
