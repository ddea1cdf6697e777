import XCTest
import NetIR
import CPUBackend
import Data
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
            engine.plannedArchives.set(.init(occupied: [parentNiche]), generation: 0)
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

/// A request all of whose variants would be refused for time is made by an edit that makes the parent cheaper.
final class BudgetFallbackTests: XCTestCase {
    let codec = NetworkCodec.pytorch(input: TestRun.fashion)

    func testRequestWhoseVariantsAllOverrunTheBudgetIsMadeCheaper() async throws {
        let data = try DatasetCatalog.load("synthetic:1x28x28:10:256:64", seed: 3)
        let training = TrainingSettings(epochs: 1, maxSteps: 8, batchSize: 32, validationFraction: 0.2)
        let evaluator = TrainerEvaluator(backends: [CPUBackend(threads: 1)], data: data,
                                         config: training.trainingConfig(seed: 3), timeBudget: 10)
        let dir = TestRun.folder("targeting-budget")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config(), evaluator: evaluator)
        let rules = RuleMutator(codec: codec)
        let parent = try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion)
        // Adding a Linear layer only ever adds FLOPs.
        let r = MutationRequest(operation: .mutation(.addLinear), parents: [codec.emit(parent)], temperature: 0.7, seed: 3)
        let grown = engine.ruleVariants(rules, r, count: NicheTargeting.variants).costs.compactMap { $0 }
        let cheapest = try XCTUnwrap(grown.map(\.flops).min())
        XCTAssertGreaterThan(cheapest, try parent.cost().flops)
        // The rate at which the cheapest variant takes 1.01 x the most the budget allows (10 s x tolerance).
        evaluator.recordThroughput(Double(cheapest) * evaluator.imagesPerChild / (10 * TrainerEvaluator.budgetTolerance * 1.01), device: 0)
        XCTAssert(grown.allSatisfy { !evaluator.fitsBudget($0) }, "every variant overruns")
        var record = CandidateRecord(id: 1, generation: 0, operation: r.operation, parents: [0], temperature: 0.7)
        guard case .success(let out) = await engine.targetedRuleChild(r, record: &record) else { return XCTFail("no child") }
        guard case .mutation(let m) = record.operation else { return XCTFail("\(record.operation)") }
        XCTAssert(NicheTargeting.cheapeners.contains(m), "made by \(m)")
        XCTAssert(evaluator.fitsBudget(try codec.parse(out.source, "out.py").cost()), "the child fits the budget")
    }
}

/// Rule children grow by at most `growthFactor` times the FLOPs of the costliest archive network.
final class GrowthCapTests: XCTestCase {
    func testRuleChildrenStayWithinTheGrowthCap() async throws {
        let dir = TestRun.folder("growth-cap")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config(evaluations: 40, batch: 4, seed: 5))
        _ = try await engine.run()
        let children = TestRun.candidates(dir).filter { $0.id != 0 && $0.cost != nil }
        XCTAssertGreaterThan(children.count, 20)
        // The archive a child was planned against holds only candidates made before it: their costliest bounds it.
        for c in children {
            let before = TestRun.candidates(dir).filter { $0.id < c.id }.compactMap { $0.cost?.flops }.max() ?? 0
            XCTAssertLessThanOrEqual(c.cost!.flops, before * SearchEngine.growthFactor, "#\(c.id) \(c.operation)")
        }
    }
}

/// A model run's fill-ins are aimed within their cost cap: a request whose own edit can only exceed the cap is
/// made by a cheaper edit instead of being dropped (dropped fill-ins stop fill-ins for a while).
final class FillInAimingTests: XCTestCase {
    func testFillInWhoseEditExceedsTheCapIsMadeCheaper() async throws {
        let codec = NetworkCodec.pytorch(input: TestRun.fashion)
        let dir = TestRun.folder("fill-in-aiming")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config())
        let parent = try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion)
        let parentFlops = try parent.cost().flops
        engine.children.fillInFlops = parentFlops
        for seed: UInt64 in [2, 3] {
            // Adding a Linear layer only ever adds FLOPs: every variant of the request itself is over the cap.
            let r = MutationRequest(operation: .mutation(.addLinear), parents: [codec.emit(parent)], temperature: 0.7, seed: seed)
            let plain = try await engine.children.rules.generate(r)
            XCTAssertGreaterThan(try codec.parse(plain.source, "plain.py").cost().flops, parentFlops, "the plain fill-in would be dropped")
            var record = CandidateRecord(id: 1, generation: 0, operation: r.operation, parents: [0], temperature: 0.7)
            guard case .success(let out) = await engine.fillInChild(r, record: &record) else { return XCTFail("no child") }
            XCTAssertLessThanOrEqual(try codec.parse(out.source, "out.py").cost().flops, parentFlops, "seed \(seed)")
            guard case .mutation(let m) = record.operation else { return XCTFail("\(record.operation)") }
            XCTAssert(NicheTargeting.cheapeners.contains(m), "made by \(m)")
        }
    }
}
