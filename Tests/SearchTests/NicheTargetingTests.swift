import XCTest
import NetIR
@testable import Search

/// Niche targeting inside the engine: rule variants predicted before training, and the second edit an exploring
/// request makes when no single edit reaches an empty niche.
final class NicheTargetingTests: XCTestCase {
    let codec = NetworkCodec.pytorch(input: TestRun.fashion)

    func request(_ m: MutationInstruction, seed: UInt64) throws -> MutationRequest {
        MutationRequest(operation: .mutation(m), parents: [codec.emit(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion))],
                        temperature: 0.7, seed: seed)
    }

    func testChainedVariantsApplyTheInstructionToTheFirstEdit() throws {
        let dir = TestRun.folder("targeting-chain")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config())
        let rules = RuleMutator(codec: codec)
        let r = try request(.addConvolution, seed: 4)
        let single = engine.ruleVariants(rules, r, from: [nil], seeds: 0..<3)
        XCTAssertEqual(single.outputs.count, 3)
        XCTAssertNil(single.error)
        let chained = engine.ruleVariants(rules, r, from: single.outputs, seeds: 3..<6)
        XCTAssertEqual(chained.outputs.count, 3)
        let parentDepth = try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion).cost().depth
        for (one, two) in zip(single.outputs, chained.outputs) {
            XCTAssert(two.note.hasPrefix(one.note + "; then "), two.note)
            let d1 = try XCTUnwrap(engine.predictedCost(one.source)).depth, d2 = try XCTUnwrap(engine.predictedCost(two.source)).depth
            // Each add-conv adds one convolution: the chained variant is two deeper than the parent.
            XCTAssertEqual(d1, parentDepth + 1)
            XCTAssertEqual(d2, parentDepth + 2)
        }
    }

    /// With every niche a single edit reaches filled, an exploring request keeps a chained variant in an empty
    /// niche (50 niches over Fashion-MNIST's bounds, a 64-MFLOP budget top); a competing request (odd seed) never
    /// chains.
    func testExploringRequestChainsWhenNoSingleEditReachesAnEmptyNiche() async throws {
        let dir = TestRun.folder("targeting-explore")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        var config = TestRun.config()
        config.niches = 50
        config.descriptors = DescriptorBounds.space(limits: config.limits, input: TestRun.fashion, classes: 10, trainableFlops: 64e6)
        let engine = try TestRun.engine(dir, config: config)
        let rules = RuleMutator(codec: codec)
        var escaped = 0
        for seed in stride(from: UInt64(0), to: 16, by: 2) {
            let r = try request(.addLinear, seed: seed)
            let single = engine.ruleVariants(rules, r, from: [nil], seeds: 0..<NicheTargeting.variants)
            let reached = Set(single.costs.compactMap { $0.map { engine.predictedVariant($0).niche } })
            engine.occupiedNiches.value = reached
            guard case .success(let out) = await engine.targetedRuleChild(r) else { return XCTFail("no child for seed \(seed)") }
            let niche = engine.predictedVariant(try XCTUnwrap(engine.predictedCost(out.source))).niche
            if !reached.contains(niche) {
                XCTAssert(out.note.contains("; then "), "seed \(seed): only a chained variant can leave the filled niches: \(out.note)")
                escaped += 1
            }
            var competing = r
            competing.seed = seed + 1
            guard case .success(let other) = await engine.targetedRuleChild(competing) else { return XCTFail("no child") }
            XCTAssertFalse(other.note.contains("; then "), "a competing request chained: \(other.note)")
        }
        // Measured when written: 8 of 8 (add-linear, grow, shrink, delete-layer: 16 of 16 seeds; add-conv 3 of 16;
        // add-residual, dropout, BatchNorm 0: they do not move a network's descriptors).
        XCTAssertGreaterThan(escaped, 4, "of 8 exploring requests, add-linear twice reaches an empty niche one add-linear does not")
    }
}
