import XCTest
import NetIR
import OpTable
import ReferenceBackend
@testable import Engine

/// The fusions (max pool + ReLU and ReLU + batch norm backward, batch norm + add) are plan rewrites: taken where the backend supports
/// the fused op, left out otherwise, and exact (the reference computes the same gradients either way).
final class FusionTests: XCTestCase {
    func graph() throws -> Graph {
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 7, width: 6))
        let c = try b.relu("relu", try b.conv2d("conv", b.input, out: 3, kernel: 3, padding: 1))
        let p = try b.maxPool("pool", c, kernel: 2)
        return try b.build(output: try b.linear("head", try b.flatten("flatten", p), out: 4))
    }

    func opNames(_ plan: Plan) -> [String] { plan.trainProgram.map(\.opName) }

    func testTakenOnlyWhereSupportedAndFusing() throws {
        let g = try graph()
        for fuse in [true, false] {
            let options = PlanOptions(batchSize: 3, fuseActivations: fuse)
            let fused = try PlanCompiler.compile(g, options: options, takes: { _ in true })
            let plain = try PlanCompiler.compile(g, options: options)
            XCTAssertEqual(opNames(fused).contains("maxPoolReluBackward"), fuse, "\(opNames(fused))")
            XCTAssertEqual(opNames(fused).contains("maxPoolBackward"), !fuse, "\(opNames(fused))")
            XCTAssertFalse(opNames(plain).contains("maxPoolReluBackward"), "a plan for no backend in particular runs everywhere")
            XCTAssertTrue(opNames(plain).contains("maxPoolBackward"))
            XCTAssertNoThrow(try fused.validateDataflow())
        }
    }

    func testTheReferenceGivesIdenticalGradientsFusedAndNot() throws {
        let g = try graph()
        let options = PlanOptions(batchSize: 3)
        var results: [[Float]] = []
        for plan in [try PlanCompiler.compile(g, options: options, takes: { _ in true }), try PlanCompiler.compile(g, options: options)] {
            let e = try ReferenceBackend().load(plan)
            e.write(.parameters, plan.initialParameters(seed: 4))
            var rng = SplitMix64(seed: 5)
            let images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
            let labels: [Int32] = [0, 3, 1]
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
            e.trainStep(learningRate: 0.1)
            results.append(e.read(.gradients) + e.read(.parameters))
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertTrue(results[0].contains { $0 != 0 })
    }

    /// The op table holds a row whose fused plan has the fused op, so every backend that takes it is compared.
    func testTheOpTableCoversTheFusedOp() throws {
        let plans = try OpTable.cases(.pooling).map { try PlanCompiler.compile($0.graph, options: PlanOptions(batchSize: 2), takes: { _ in true }) }
        XCTAssertTrue(plans.contains { opNames($0).contains("maxPoolReluBackward") })
        let norms = try OpTable.cases(.batchNorm).map { try PlanCompiler.compile($0.graph, options: PlanOptions(batchSize: 2), takes: { _ in true }) }
        XCTAssertTrue(norms.contains { plan in plan.trainProgram.contains { ins in
            if case .batchNormReluBackward = ins.op { return ins.accumulate } else { return false } } },
                      "a row whose fused batch norm backward accumulates into dx")
        XCTAssertTrue(norms.contains { plan in plan.trainProgram.contains { ins in
            if case .batchNormReluBackward = ins.op { return ins.inputs[2].isPresent } else { return false } } },
                      "a row with an affine batch norm")
        XCTAssertTrue(norms.contains { opNames($0).contains("batchNormAdd") })
    }

    func count(_ name: String, _ plan: Plan) -> Int { opNames(plan).filter { $0 == name }.count }

    func count(_ name: String, eval plan: Plan) -> Int { plan.evalProgram.filter { $0.opName == name }.count }

    /// resnet8's block ends: the batch norm right before each residual add (s1_bn2; the shortcut BN in s2 and s3,
    /// computed after bn2) fuses with it, in the training and the eval program.
    func testBatchNormAddFiresOnResNet8() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 1, height: 12, width: 12))
        let options = PlanOptions(batchSize: 3)
        let fused = try PlanCompiler.compile(g, options: options, takes: { _ in true })
        let nodes: Set<String> = ["s1_bn2+s1_add", "s2_sc_bn+s2_add", "s3_sc_bn+s3_add"]
        XCTAssertEqual(Set(fused.trainProgram.filter { $0.opName == "batchNormAdd" }.map(\.node)), nodes, "\(opNames(fused))")
        XCTAssertEqual(Set(fused.evalProgram.filter { $0.opName == "batchNormAdd" }.map(\.node)), nodes)
        XCTAssertEqual(count("batchNormAdd", fused), 3)
        XCTAssertEqual(count("batchNorm", fused) + count("batchNormAdd", fused), 9)
        XCTAssertEqual(count("add", fused), 0)
        XCTAssertNoThrow(try fused.validateDataflow())
        let refused = try PlanCompiler.compile(g, options: options, takes: { if case .batchNormAdd = $0 { false } else { true } })
        XCTAssertEqual(count("batchNormAdd", refused) + count("batchNormAdd", eval: refused), 0)
        XCTAssertEqual(count("add", refused), 3)
        XCTAssertEqual(count("batchNormAdd", eval: try PlanCompiler.compile(g, options: options)), 0)
    }

    /// A batch norm whose output feeds two adds is read twice: no fusion.
    func testBatchNormAddDoesNotFireWhereTheOutputIsReadTwice() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: 5, width: 5))
        let c = try b.conv2d("conv", b.input, out: 3, kernel: 3, padding: 1, bias: false)
        let n = try b.batchNorm("bn", c)
        let sum = try b.addValues("add2", try b.addValues("add1", n, c), n)
        let g = try b.build(output: try b.linear("head", try b.flatten("flatten", sum), out: 4))
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 2), takes: { _ in true })
        XCTAssertEqual(count("batchNormAdd", plan) + count("batchNormAdd", eval: plan), 0, "\(opNames(plan))")
        XCTAssertEqual(count("add", plan), 2)
    }

    /// resnet8: bn0 and each block's bn1 carry their ReLU in the epilogue, so their backward pairs fuse (4); each
    /// block's bn2 and the shortcut BNs feed the residual add, so they keep the plain backward (5).
    func testBatchNormReluFiresOnResNet8() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 1, height: 12, width: 12))
        let options = PlanOptions(batchSize: 3)
        let fused = try PlanCompiler.compile(g, options: options, takes: { _ in true })
        XCTAssertEqual(count("batchNormReluBackward", fused), 4, "\(opNames(fused))")
        XCTAssertEqual(count("batchNormBackward", fused), 5)
        XCTAssertEqual(Set(fused.trainProgram.filter { $0.opName == "batchNormReluBackward" }.map(\.node)),
                       ["bn0", "s1_bn1", "s2_bn1", "s3_bn1"])
        XCTAssertNoThrow(try fused.validateDataflow())
        let refused = try PlanCompiler.compile(g, options: options, takes: { if case .batchNormReluBackward = $0 { false } else { true } })
        XCTAssertEqual(count("batchNormReluBackward", refused), 0)
        XCTAssertEqual(count("batchNormBackward", refused), 9)
        XCTAssertEqual(count("batchNormReluBackward", try PlanCompiler.compile(g, options: options)), 0)
        let unfused = PlanOptions(batchSize: 3, fuseActivations: false)
        XCTAssertEqual(count("batchNormReluBackward", try PlanCompiler.compile(g, options: unfused, takes: { _ in true })), 0)
        // The four ReLU gradients the fusion no longer stores get no arena memory (before, unused tensors were
        // kept alive for the whole step).
        func planned(_ plan: Plan) -> Int { plan.arenaTensors.reduce(0) { $0 + $1.count } }
        let dropped = refused.trainProgram.filter { $0.opName == "activationBackward" && $0.node.contains("bn") }
        XCTAssertEqual(dropped.count, 4)
        XCTAssertEqual(planned(refused) - planned(fused), dropped.reduce(0) { $0 + $1.outputs[0].count })
    }

    /// A batch norm whose output also feeds a residual branch keeps its ReLU apart (the ReLU's input is used
    /// elsewhere), and the ReLU's backward then adds into the gradient the add wrote: no fusion.
    func testBatchNormReluDoesNotFireWhereTheReluInputIsUsedElsewhere() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: 5, width: 5))
        let n = try b.batchNorm("bn", try b.conv2d("conv", b.input, out: 4, kernel: 3, padding: 1, bias: false))
        let sum = try b.addValues("add", try b.relu("relu", n), n)
        let g = try b.build(output: try b.linear("head", try b.flatten("flatten", sum), out: 4))
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 2), takes: { _ in true })
        XCTAssertEqual(count("batchNormReluBackward", plan), 0, "\(opNames(plan))")
        XCTAssertEqual(count("batchNormBackward", plan), 1)
        XCTAssertEqual(count("activationBackward", plan), 1)
    }

    /// resnet8 on the reference, fused and not: the composed fused ops give bit-identical gradients, parameters,
    /// running statistics and eval logits (the bound is 0: the same Float values are summed in the same order).
    func testTheReferenceGivesIdenticalResNet8StepsFusedAndNot() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 1, height: 8, width: 8))
        let options = PlanOptions(batchSize: 2)
        let plans = [try PlanCompiler.compile(g, options: options, takes: { _ in true }), try PlanCompiler.compile(g, options: options)]
        XCTAssertEqual(count("batchNormReluBackward", plans[0]), 4)
        var results: [[Float]] = []
        for plan in plans {
            let e = try ReferenceBackend().load(plan)
            e.write(.parameters, plan.initialParameters(seed: 6))
            var rng = SplitMix64(seed: 7)
            let images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
            let labels: [Int32] = [2, 9]
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
            e.trainStep(learningRate: 0.1)
            let trained = e.read(.gradients) + e.read(.parameters) + e.read(.buffers)
            e.evalStep()
            results.append(trained + e.outputs())
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertTrue(results[0].contains { $0 != 0 })
    }
}
