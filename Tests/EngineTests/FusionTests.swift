import XCTest
import NetIR
import OpTable
import ReferenceBackend
@testable import Engine

/// The max-pool + ReLU backward fusion is a plan rewrite: taken where the backend supports the fused op, left
/// out otherwise, and exact (the reference computes the same gradients either way).
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
    }
}
