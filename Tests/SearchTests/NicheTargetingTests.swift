import XCTest
import NetIR
@testable import Search

/// Niche targeting inside the engine: rule variants are predicted before training, and a variant repeating a
/// network already made is passed over (it would only be skipped as a duplicate and its slot refilled untargeted).
final class NicheTargetingTests: XCTestCase {
    let codec = NetworkCodec.pytorch(input: TestRun.fashion)

    func testVariantsRepeatingMadeNetworksArePassedOver() async throws {
        let rules = RuleMutator(codec: codec)
        for seed: UInt64 in [1, 2] {   // a competing request and an exploring one, each in a fresh run
            let dir = TestRun.folder("targeting-duplicates")
            defer { try? FileManager.default.removeItem(atPath: dir.root) }
            let engine = try TestRun.engine(dir, config: TestRun.config())
            let r = MutationRequest(operation: .mutation(.addLinear),
                                    parents: [codec.emit(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion))],
                                    temperature: 0.7, seed: seed)
            let fresh = engine.ruleVariants(rules, r, count: NicheTargeting.variants)
            XCTAssertEqual(fresh.outputs.count, NicheTargeting.variants)
            XCTAssert(fresh.costs.allSatisfy { $0 != nil }, "nothing made yet: every variant has a cost")
            // Every variant but the last is a network already made: the last is the one kept.
            let structures = try fresh.outputs.map { try codec.parse($0.source, "v.py").structuralHash }
            guard let keep = structures.last, Set(structures).count > 1 else { return XCTFail("variants of seed \(seed) all alike") }
            for (i, s) in structures.enumerated() where s != keep { _ = engine.children.structures.claim(s, by: 1000 + i) }
            let after = engine.ruleVariants(rules, r, count: NicheTargeting.variants)
            XCTAssertEqual(after.costs.filter { $0 != nil }.count, structures.filter { $0 == keep }.count)
            guard case .success(let out) = await engine.targetedRuleChild(r, generation: 0) else { return XCTFail("no child for seed \(seed)") }
            XCTAssertEqual(try codec.parse(out.source, "out.py").structuralHash, keep, "seed \(seed)")
        }
    }
}
