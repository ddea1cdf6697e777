import XCTest
@testable import Search

/// Rule fill-ins: while the model writes, an idle trainer worker gets a rule child; fill-ins are logged with
/// their origin and counted apart from the model's children, and the model's children keep coming.
final class FillInTests: XCTestCase {
    func testIdleWorkerGetsRuleChildrenWhileTheModelWrites() async throws {
        let dir = TestRun.folder("fill-in")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        // Each reply takes 0.4 s, each training 0.05 s: without fill-ins the worker idles ~85% of the time.
        let server = try TestHTTPServer(maxRequests: 500) { r in
            .slow(seconds: 0.4, body: ChildVettingTests.reply(OverlapTests.network(r.index)))
        }
        defer { server.stop() }
        let fake = FakeEvaluator(delay: 0.05)
        let engine = try ChildVettingTests.engine(dir, llm: ChildVettingTests.llmConfig(server.baseURL), evaluations: 30,
                                                  batch: 2, evaluator: fake, fillIns: true)
        let summary = try await engine.run()
        XCTAssertEqual(summary.evaluations, 30)
        XCTAssertFalse(fake.overlapped, "one device never trains two children at once")
        let children = TestRun.candidates(dir).filter { $0.id != 0 }
        let fillIns = children.filter { $0.fallback == ChildOrigin.modelBusy }
        let model = children.filter { ($0.llm?.replies ?? 0) > 0 }
        XCTAssertGreaterThan(fillIns.count, 0, "the idle worker got rule children")
        XCTAssert(fillIns.allSatisfy { $0.llm == nil }, "a fill-in never asks the model")
        // The cost cap: a fill-in's FLOPs are at most the factor times those of the costliest archive network
        // when it was planned, and that network is one of the trained candidates before it.
        for f in fillIns {
            guard let flops = f.cost?.flops else { continue }
            let before = TestRun.candidates(dir).filter { $0.id < f.id }.compactMap { $0.cost?.flops }.max() ?? 0
            XCTAssertLessThanOrEqual(flops, before * SearchEngine.growthFactor, "#\(f.id)")
        }
        // The model is not starved: with two generations in flight it answered at least two replies per
        // generation it had time for; every reply of the run became a trained model child here.
        XCTAssertGreaterThanOrEqual(model.count, 2)
        XCTAssertEqual(model.count + fillIns.count, children.count, "no other fallbacks with a healthy endpoint")
        XCTAssertEqual(summary.model_children, model.filter { $0.cost != nil }.count)
        XCTAssertEqual(summary.fill_ins, fillIns.filter { $0.cost != nil }.count)
        XCTAssertEqual(try XCTUnwrap(summary.llm_valid_rate), 1, accuracy: 1e-12, "fill-ins are not model replies")
        let yield = ChildYield(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath)).total
        XCTAssertEqual(yield.fillIns, fillIns.count)
        XCTAssertEqual(yield.fallbacks, 0, "fill-ins are not endpoint fallbacks")
        XCTAssertEqual(yield.replies, model.count)
        // The event log rebuilds the same archives (insert-if-better keeps the fittest per niche in any order).
        let replayed = SearchEngine.replay(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath))
        XCTAssertEqual(Set(replayed.networks.ranked.map(\.payload.candidate)),
                       Set(engine.state.networks.ranked.map(\.payload.candidate)))
    }

    func testNoFillInsWhenTurnedOff() async throws {
        let dir = TestRun.folder("fill-in-off")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let server = try TestHTTPServer(maxRequests: 500) { r in
            .slow(seconds: 0.2, body: ChildVettingTests.reply(OverlapTests.network(r.index)))
        }
        defer { server.stop() }
        let engine = try ChildVettingTests.engine(dir, llm: ChildVettingTests.llmConfig(server.baseURL), evaluations: 7,
                                                  batch: 2, evaluator: FakeEvaluator(delay: 0.01), fillIns: false)
        let summary = try await engine.run()
        XCTAssertEqual(summary.fill_ins, 0)
        XCTAssert(TestRun.candidates(dir).allSatisfy { $0.fallback != ChildOrigin.modelBusy })
    }

    /// Per-prompt yield: the model's entered children and best fitness per operation; fill-ins apart.
    func testPerPromptYieldSeparatesModelChildrenFromFillIns() {
        func record(_ id: Int, _ op: MutationInstruction, model: Bool, fitness: Double?, entered: Bool,
                    fillIn: Bool = false) -> CandidateRecord {
            var r = CandidateRecord(id: id, generation: 1, operation: .mutation(op), parents: [0], temperature: 0.5)
            if model { r.llm = LLMUsage(replies: 1, seconds: 2) }
            if fillIn { r.fallback = ChildOrigin.modelBusy }
            if let fitness {
                r.fitness = fitness
                r.metrics = CandidateMetrics(validationAccuracy: fitness, validationLoss: 1, steps: 1, epochs: 1, seconds: 1)
                r.cost = CostSummary(parameters: 1, flops: 1, depth: 1, width: 1, activations: 1)
                r.network = entered ? .newNiche : .rejected
            } else {
                r.failure = .shape("no")
            }
            return r
        }
        let ops = MutationInstruction.allCases
        let (a, b) = (ops[0], ops[1])
        let records = [record(1, a, model: true, fitness: 0.8, entered: true),
                       record(2, a, model: true, fitness: 0.9, entered: false),
                       record(3, a, model: true, fitness: nil, entered: false),
                       record(4, a, model: false, fitness: 0.95, entered: true, fillIn: true),
                       record(5, b, model: true, fitness: nil, entered: false)]
        let y = ChildYield(records: records, duplicates: [])
        let ya = y.byOperation[a.description], yb = y.byOperation[b.description]
        XCTAssertEqual(ya?.replies, 3)
        XCTAssertEqual(ya?.modelTrained, 2)
        XCTAssertEqual(ya?.modelEntered, 1)
        XCTAssertEqual(ya?.modelBestFitness, 0.9, "the fill-in's 0.95 is not the model's")
        XCTAssertEqual(ya?.fillIns, 1)
        XCTAssertEqual(ya?.fillInsEntered, 1)
        XCTAssertEqual(ya?.entered, 2)
        XCTAssertEqual(ya?.fallbacks, 0)
        XCTAssertEqual(yb?.replies, 1)
        XCTAssertNil(yb?.modelBestFitness, "no model child of this prompt trained")
        XCTAssertEqual(y.total.validRate ?? -1, 2.0 / 4.0, accuracy: 1e-12)
        XCTAssert(y.htmlTable().contains("rule fill-ins"))
    }
}
