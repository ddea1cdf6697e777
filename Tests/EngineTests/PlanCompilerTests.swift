import XCTest
import NetIR
@testable import Engine

final class PlanCompilerTests: XCTestCase {
    let fashion = TensorShape(channels: 1, height: 28, width: 28)

    func testBuiltinPlansHaveSoundDataflow() throws {
        for net in BuiltinNetwork.allCases {
            for batch in [1, 3, 32] {
                for fuse in [true, false] {
                    let g = try net.graph(input: fashion)
                    let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: batch, fuseActivations: fuse))
                    XCTAssertNoThrow(try plan.validateDataflow(), "\(net) batch \(batch) fuse \(fuse)")
                    XCTAssertEqual(plan.parameterSlots.reduce(0) { $0 + $1.count }, g.parameterCount)
                }
            }
        }
    }

    /// Tensors alive at the same time never share arena memory; the arena is smaller than the sum of all tensors.
    func testArenaNeverOverlapsLiveTensors() throws {
        let plan = try PlanCompiler.compile(try BuiltinNetwork.resnet8.graph(input: fashion), options: PlanOptions(batchSize: 8))
        let ts = plan.arenaTensors.filter { $0.count > 0 }
        for a in ts {
            XCTAssertLessThanOrEqual(a.offset + a.count, plan.arenaCount)
            for b in ts where a.id < b.id && a.firstUse <= b.lastUse && b.firstUse <= a.lastUse {
                XCTAssertTrue(a.offset + a.count <= b.offset || b.offset + b.count <= a.offset,
                              "tensors \(a) and \(b) are alive together but overlap")
            }
        }
        XCTAssertLessThan(plan.arenaCount, ts.reduce(0) { $0 + $1.count })
    }

    func testValidatorCatchesAnOverlap() throws {
        var plan = try PlanCompiler.compile(try BuiltinNetwork.smallcnn.graph(input: fashion), options: PlanOptions(batchSize: 2))
        // Point the first conv's output at the input of the second conv's slot to corrupt the dataflow.
        guard let k = plan.trainProgram.firstIndex(where: { $0.node == "conv2" }) else { return XCTFail("no conv2") }
        plan.trainProgram[k].outputs[0].offset = plan.trainProgram[k].inputs[0].offset
        XCTAssertThrowsError(try plan.validateDataflow())
    }

    func testFusionFoldsActivationsIntoProducers() throws {
        let plan = try PlanCompiler.compile(try BuiltinNetwork.smallcnn.graph(input: fashion), options: PlanOptions(batchSize: 4))
        let forward = plan.evalProgram.map(\.opName)
        XCTAssertEqual(forward, ["conv2d", "maxPool", "conv2d", "maxPool", "linear", "linear", "softmaxCrossEntropy"])
        // No gradient with respect to the image is computed.
        XCTAssertFalse(plan.trainProgram.contains { $0.node == "conv1" && $0.opName == "conv2dBackwardData" })
    }

    func testFanOutAccumulatesIntoOneGradient() throws {
        let plan = try PlanCompiler.compile(try BuiltinNetwork.resnet8.graph(input: fashion), options: PlanOptions(batchSize: 2))
        // s1's block input feeds both s1_conv1 and the residual add: one contribution must accumulate.
        let s1 = plan.trainProgram.filter { $0.node == "s1_conv1" && $0.opName == "conv2dBackwardData" }
        XCTAssertEqual(s1.count, 1)
        XCTAssertTrue(s1[0].accumulate)
        XCTAssertEqual(plan.trainProgram.last?.opName, "optimizer")
    }

    func testSharedModuleAccumulatesParameterGradients() throws {
        var b = NetworkBuilder(input: TensorShape(features: 6))
        let l = Layer.linear(inFeatures: 6, outFeatures: 6, bias: true)
        let h = try b.add("fc", l, [b.input])
        let h2 = try b.add("fc_1", l, [h], module: "fc")
        let g = try b.build(output: h2)
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 3))
        let filters = plan.trainProgram.filter { $0.opName == "linearBackwardFilter" }
        XCTAssertEqual(filters.map(\.accumulate), [false, true])
        XCTAssertNoThrow(try plan.validateDataflow())
    }

    func testRejectsNonClassOutput() throws {
        var b = NetworkBuilder(input: fashion)
        let c = try b.conv2d("conv", b.input, out: 2, kernel: 3)
        let g = try b.build(output: c)
        XCTAssertThrowsError(try PlanCompiler.compile(g, options: PlanOptions(batchSize: 1))) { e in
            XCTAssertTrue(String(describing: e).contains("conv"))
        }
    }
}
