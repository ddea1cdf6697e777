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
            var record = CandidateRecord(id: 1, generation: 0, operation: r.operation, parents: [0], temperature: 0.7)
            guard case .success(let out) = await engine.targetedRuleChild(r, record: &record) else { return XCTFail("no child for seed \(seed)") }
            XCTAssertEqual(try codec.parse(out.source, "out.py").structuralHash, keep, "seed \(seed)")
        }
    }

    /// An exploring request whose own edit cannot leave the parent's (filled) niche is made by an edit that
    /// moves farther, into an empty niche, and the record names that edit; a competing request keeps its own.
    func testExploringChildFallsBackOnAMoverWhenItsOwnEditCannotReachAGap() async throws {
        let parent = try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion)
        for seed: UInt64 in [2, 3] {   // wantsEmpty(2) explores, wantsEmpty(3) competes
            let dir = TestRun.folder("targeting-movers")
            defer { try? FileManager.default.removeItem(atPath: dir.root) }
            let engine = try TestRun.engine(dir, config: TestRun.config())
            // Dropout leaves depth/width and FLOPs as they are: every variant lands in the parent's niche.
            let parentNiche = engine.predictedVariant(try parent.cost()).niche
            engine.occupiedNiches.set([parentNiche], generation: 0)
            let r = MutationRequest(operation: .mutation(.addDropout), parents: [codec.emit(parent)], temperature: 0.7, seed: seed)
            var record = CandidateRecord(id: 1, generation: 0, operation: r.operation, parents: [0], temperature: 0.7)
            guard case .success(let out) = await engine.targetedRuleChild(r, record: &record) else { return XCTFail("no child") }
            let niche = engine.predictedVariant(try codec.parse(out.source, "out.py").cost()).niche
            if NicheTargeting.wantsEmpty(seed: seed) {
                guard case .mutation(let m) = record.operation else { return XCTFail("\(record.operation)") }
                XCTAssert(NicheTargeting.movers.contains(m), "made by \(m)")
                XCTAssertNotEqual(niche, parentNiche, "the child reaches an empty niche")
            } else {
                XCTAssertEqual(record.operation, .mutation(.addDropout))
                XCTAssertEqual(niche, parentNiche)
            }
        }
    }
}
