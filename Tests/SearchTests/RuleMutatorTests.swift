import XCTest
import NetIR
@testable import Search

/// Every rule edit must give a network that passes shape inference with the parent's input and output shapes.
final class RuleMutatorTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    func parents() throws -> [Graph] {
        try BuiltinNetwork.allCases.map { try $0.graph(input: fashion) }
    }

    func testThousandsOfRandomEditsStayValid() throws {
        var rng = SearchRandom(seed: 42)
        var population = try parents()
        var made = 0, notApplicable = 0
        var kinds = Set<String>()
        for round in 0..<3000 {
            let op: Variation = rng.chance(0.15) ? .crossover
                : .mutation(MutationInstruction.allCases[rng.below(MutationInstruction.allCases.count)])
            let a = population[rng.below(population.count)]
            let b = population[rng.below(population.count)]
            var edit = SearchRandom(seed: UInt64(round))
            do {
                let (g, note) = try RuleMutator.edit([a, b], operation: op, attempts: 24, rng: &edit)
                let shapes = try g.inferShapes()
                XCTAssertEqual(shapes[g.output], TensorShape(features: 10), note)
                XCTAssertEqual(g.inputShape, fashion)
                XCTAssertEqual(g.live.filter { !$0 }.count, 0, "no dead layers: \(note)")
                _ = try g.cost()
                made += 1
                kinds.insert(op.description)
                // Keep the population small and varied so edits pile up without exploding in size.
                if g.parameterCount < 2_000_000 && g.nodes.count < 80 {
                    if population.count < 40 { population.append(g) } else { population[rng.below(40)] = g }
                }
            } catch let e as MutatorError {
                if case .notApplicable = e { notApplicable += 1 } else { XCTFail("\(e)") }
            }
        }
        XCTAssertGreaterThan(made, 2500)
        XCTAssertEqual(kinds.count, 13, "every instruction but the recurrent one, plus crossover: \(kinds)")
        XCTAssertLessThan(notApplicable, 500)
    }

    /// A convolution added to LLMatic's seed (a 28x28 map flattened straight into the classifier) must
    /// downsample until the flattened vector is small enough, or the classifier's Linear explodes.
    func testAddedConvolutionKeepsTheFlattenedVectorSmall() throws {
        let seed = try BuiltinNetwork.initial.graph(input: fashion)
        var sawPooling = false
        for s in 0..<200 {
            var rng = SearchRandom(seed: UInt64(s))
            var g = GraphSurgery(seed)
            guard let shapes = g.shapes(), let note = RuleEdit.addConvolution(&g, shapes, &rng) else { continue }
            let child = try g.repaired()
            let flattened = RuleEdit.flattenedFeatures(GraphSurgery(child))
            XCTAssertLessThanOrEqual(flattened, RuleEdit.maxFlattened, note)
            XCTAssertLessThan(child.parameterCount, 1_000_000, note)
            if note.contains("MaxPool2d") { sawPooling = true }
        }
        XCTAssert(sawPooling)
    }

    /// A convolution added in front of the seed's 1-channel 1x1 convolution widens that one to its own width
    /// (`RuleEdit.unsqueeze`) instead of being squeezed back to one channel; placed after it, nothing is widened.
    func testAddedConvolutionWidensTheOneChannelConvolutionItFeeds() throws {
        let seed = try BuiltinNetwork.initial.graph(input: fashion)
        var widened = 0, after = 0
        for s in 0..<100 {
            var rng = SearchRandom(seed: UInt64(s))
            var g = GraphSurgery(seed)
            guard let shapes = g.shapes(), let note = RuleEdit.addConvolution(&g, shapes, &rng) else { continue }
            let child = try g.repaired()
            XCTAssertEqual(try child.inferShapes()[child.output], TensorShape(features: 10), note)
            guard let conv1 = child.nodes.first(where: { $0.name == "conv1" }), case .conv2d(let a) = conv1.layer else {
                return XCTFail("conv1 lost: \(note)")
            }
            if note.contains("after 'input'") {
                XCTAssert(note.contains("widened conv1"), note)
                XCTAssertGreaterThanOrEqual(a.outChannels, 8, note)
                XCTAssertLessThanOrEqual(RuleEdit.flattenedFeatures(GraphSurgery(child)), RuleEdit.maxFlattened, note)
                widened += 1
            } else {
                XCTAssertEqual(a.outChannels, 1, note)
                after += 1
            }
        }
        XCTAssertGreaterThan(widened, 10)
        XCTAssertGreaterThan(after, 10)
    }

    /// `stack` keeps the network up to a downsampled point and runs the whole network again from there:
    /// smallcnn (conv1, pool1, conv2, pool2) cut at pool1 becomes conv1 + the whole net (3 convolutions), cut at
    /// conv2 or later 2 + 2; the copy's first convolution reads the stage's channels on the smaller map, the
    /// classifier input is repaired; a network that never downsamples (LLMatic's seed) offers no place.
    func testStackRepeatsTheNetworkOnADownsampledMap() throws {
        let smallcnn = try BuiltinNetwork.smallcnn.graph(input: fashion)
        var cutsSeen = Set<String>()
        for s in 0..<20 {
            var rng = SearchRandom(seed: UInt64(s))
            var g = GraphSurgery(smallcnn)
            guard let shapes = g.shapes(), let note = RuleEdit.stack(&g, shapes, &rng) else { continue }
            let child = try g.repaired()
            let childShapes = try child.inferShapes()
            XCTAssertEqual(childShapes[child.output], TensorShape(features: 10), note)
            let convs = child.nodes.indices.filter { if case .conv2d = child.nodes[$0].layer { return true } else { return false } }
            XCTAssertEqual(convs.count, note.contains("'pool1'") ? 3 : 4, note)
            // The copy's first convolution (conv1 again) reads the stage's channels on the downsampled map.
            let copy = convs[convs.count - 2]
            if case .conv2d(let a) = child.nodes[copy].layer { XCTAssertEqual(a.inChannels, note.contains("'pool1'") ? 32 : 64, note) }
            XCTAssertLessThan(childShapes[copy].height, 28, note)
            XCTAssertGreaterThan(child.nodes.count, smallcnn.nodes.count, note)
            XCTAssertEqual(Set(child.nodes.map(\.name)).count, child.nodes.count, "names stay unique: \(note)")
            cutsSeen.insert(note)
        }
        XCTAssertGreaterThan(cutsSeen.count, 1, "more than one downsampled cut point is used")
        var g = GraphSurgery(try BuiltinNetwork.initial.graph(input: fashion))
        var rng = SearchRandom(seed: 1)
        XCTAssertNil(RuleEdit.stack(&g, g.shapes()!, &rng))
    }

    func testRecurrentIsRejectedWithAReason() throws {
        let g = try BuiltinNetwork.smallcnn.graph(input: fashion)
        var rng = SearchRandom(seed: 1)
        XCTAssertThrowsError(try RuleMutator.edit([g], operation: .mutation(.addRecurrent), attempts: 3, rng: &rng)) {
            guard case MutatorError.notApplicable(let reason) = $0 else { return XCTFail("\($0)") }
            XCTAssert(reason.contains("recurrent"))
        }
    }

    func testEditsAreSeeded() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: fashion)
        for m in MutationInstruction.allCases where m != .addRecurrent {
            var r1 = SearchRandom(seed: 9), r2 = SearchRandom(seed: 9)
            let a = try? RuleMutator.edit([g], operation: .mutation(m), attempts: 24, rng: &r1)
            let b = try? RuleMutator.edit([g], operation: .mutation(m), attempts: 24, rng: &r2)
            XCTAssertEqual(a?.0, b?.0, "\(m)")
        }
    }

    func testResidualGetsAProjectionWhenShapesDiffer() throws {
        var sawProjection = false, sawIdentity = false
        for seed in 0..<200 {
            let g = try (seed % 2 == 0 ? BuiltinNetwork.smallcnn : .resnet8).graph(input: fashion)
            var rng = SearchRandom(seed: UInt64(seed))
            guard let (child, note) = try? RuleMutator.edit([g], operation: .mutation(.addResidual), attempts: 24, rng: &rng) else { continue }
            XCTAssert(child.nodes.contains { $0.layer == .add }, note)
            if note.contains("projection") { sawProjection = true } else { sawIdentity = true }
        }
        XCTAssert(sawProjection && sawIdentity)
    }

    func testCrossoverSplicesBothParents() throws {
        let a = try BuiltinNetwork.smallcnn.graph(input: fashion)
        let b = try BuiltinNetwork.resnet8.graph(input: fashion)
        var mixed = 0
        for seed in 0..<100 {
            var rng = SearchRandom(seed: UInt64(seed))
            guard let (child, _) = try? RuleMutator.edit([a, b], operation: .crossover, attempts: 24, rng: &rng) else { continue }
            let names = Set(child.nodes.map(\.name))
            if !names.isDisjoint(with: ["conv1", "conv2"]) && !names.isDisjoint(with: ["s1_add", "s2_add", "s3_add", "fc"]) {
                mixed += 1
            }
        }
        XCTAssertGreaterThan(mixed, 20)
    }
}
