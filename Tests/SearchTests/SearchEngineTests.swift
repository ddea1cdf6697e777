import XCTest
import NetIR
@testable import Search

final class SearchEngineTests: XCTestCase {
    func testSearchFillsTheRunFolder() async throws {
        let dir = TestRun.folder("run")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let fake = FakeEvaluator()
        let summary = try await TestRun.engine(dir, config: TestRun.config(evaluations: 24), evaluator: fake).run()
        XCTAssertEqual(summary.evaluations, 24)
        let records = TestRun.candidates(dir)
        // 24 trained candidates; an id left out is a slot whose child repeated an earlier network (a
        // `duplicate` line, never trained).
        XCTAssertEqual(records.count, 24)
        let skipped = Set(0...(records.map(\.id).max() ?? 0)).subtracting(records.map(\.id))
        XCTAssertTrue(skipped.isSubset(of: Set(DuplicateRecord.all(in: dir.eventsPath).map(\.id))), "ids \(skipped.sorted()) are neither trained nor duplicates")
        XCTAssertEqual(records.first?.operation, .seed)
        // Children of the first generations come from the seed until the archive holds 3 networks.
        XCTAssertEqual(records.filter { $0.generation == 1 }.map(\.parents), Array(repeating: [0], count: 4))
        let state = try dir.readJSON(SearchState.self, from: dir.archivesPath)
        XCTAssertEqual(state.evaluations, 24)
        XCTAssertGreaterThanOrEqual(state.networks.count, 2)
        for r in records {
            XCTAssert(dir.exists(dir.candidateFile(r.id, .meta)), "meta.json of \(r.id)")
            XCTAssert(dir.exists(dir.candidateFile(r.id, .prompt)), "prompt.txt of \(r.id)")
            if r.failure == nil { XCTAssert(dir.exists(dir.candidateFile(r.id, .source))) }
        }
        // Weights stay exactly for networks that entered the archive (current and replaced elites).
        var replay = SearchState(config: TestRun.config(evaluations: 24))
        let applied = replay.replay(EventLog.read(RunEvent.self, from: dir.eventsPath))
        let members = Set(state.networks.elites.values.map(\.payload.candidate))
        for r in applied {
            XCTAssertEqual(dir.exists(dir.candidateFile(r.id, .weights)), r.network?.entered == true, "#\(r.id)")
            if members.contains(r.id) { XCTAssert(dir.exists(dir.candidateFile(r.id, .weights))) }
        }
        // Children inherit from their parents' weight files.
        XCTAssert(fake.inheritRequests.contains { $0.contains { $0.hasSuffix("000000/weights.safetensors") } })
        let generations = EventLog.read(RunEvent.self, from: dir.eventsPath).filter { if case .generation = $0 { return true } else { return false } }
        XCTAssertEqual(generations.count, 1 + 6)
        try Report.write(dir)
        let html = try XCTUnwrap(dir.read(dir.reportPath))
        XCTAssert(html.contains("<svg") && html.contains("best validation accuracy") && html.contains("class Net(nn.Module)"))
        // Self-contained: nothing for a browser to fetch, nothing to run.
        for outside in ["<script", "src=", "href=\"http", "@import", "url(", "<link", "<iframe"] {
            XCTAssertFalse(html.lowercased().contains(outside), "report.html contains \(outside)")
        }
    }

    func testReplayRebuildsTheSameArchives() async throws {
        let dir = TestRun.folder("replay")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config(evaluations: 30))
        _ = try await engine.run()
        let replayed = SearchEngine.replay(directory: dir, config: engine.config)
        XCTAssertEqual(replayed.networks.ranked.map(\.payload), engine.state.networks.ranked.map(\.payload))
        XCTAssertEqual(replayed.prompts.mostCurious(100), engine.state.prompts.mostCurious(100))
        XCTAssertEqual(replayed.stats, engine.state.stats)
    }

    func testSameSeedSameRun() async throws {
        var runs: [[String]] = []
        for name in ["a", "b"] {
            let dir = TestRun.folder("det-\(name)")
            defer { try? FileManager.default.removeItem(atPath: dir.root) }
            _ = try await TestRun.engine(dir, config: TestRun.config(evaluations: 20, batch: 3),
                                         evaluator: FakeEvaluator(devices: 2)).run()
            runs.append(TestRun.candidates(dir).sorted { $0.id < $1.id }.map { "\($0.operation) \($0.parents) \($0.fitness ?? -1)" })
        }
        XCTAssertEqual(runs[0], runs[1])
    }

    func testFailuresAreRecordedAndTheRunGoesOn() async throws {
        let dir = TestRun.folder("fail")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let summary = try await TestRun.engine(dir, config: TestRun.config(evaluations: 20),
                                               evaluator: FakeEvaluator(failEvery: 3)).run()
        XCTAssertEqual(summary.evaluations, 20)
        let records = TestRun.candidates(dir)
        XCTAssert(records.contains { $0.failure?.kind == "divergence" })
        XCTAssertEqual(summary.failures, records.filter { $0.failure != nil }.count)
    }

    func testSeedThatFailsStopsTheRun() async throws {
        let dir = TestRun.folder("badseed")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let codec = NetworkCodec.pytorch(input: TestRun.fashion)
        let engine = try SearchEngine(config: TestRun.config(), directory: dir, seedSource: "class Net(nn.Module:\n",
                                      mutator: RuleMutator(codec: codec),
                                      checker: CandidateChecker(codec: codec, classes: 10, limits: SearchLimits()),
                                      evaluator: FakeEvaluator(), resume: false)
        do {
            _ = try await engine.run()
            XCTFail("expected the seed to fail")
        } catch {
            guard case .seedFailed(.parse) = error else { return XCTFail("\(error)") }
        }
    }

    func testWorkerPoolRunsOneJobPerDevice() async throws {
        let fake = FakeEvaluator(devices: 2, delay: 0.1)
        let pool = WorkerPool(evaluator: fake)
        let graph = try BuiltinNetwork.initial.graph(input: TestRun.fashion)
        let start = Date()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 { group.addTask { _ = await pool.evaluate(EvaluationJob(candidate: i, graph: graph)) } }
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertFalse(fake.overlapped, "a device ran two jobs at once")
        XCTAssertGreaterThanOrEqual(elapsed, 0.39)
        XCTAssertLessThan(elapsed, 0.75, "two devices should halve the time")
        XCTAssertEqual(fake.jobs.sorted(), Array(0..<8))
    }

    /// Failed evaluations' device time is counted (`WorkerPool.failedSeconds`, training that the search's overhead
    /// must not claim); successful ones' is not (their metrics carry it).
    func testWorkerPoolCountsFailedEvaluationTime() async throws {
        let pool = WorkerPool(evaluator: FakeEvaluator(delay: 0.05, failEvery: 2))
        let graph = try BuiltinNetwork.initial.graph(input: TestRun.fashion)
        if case .failure = await pool.evaluate(EvaluationJob(candidate: 1, graph: graph)) { XCTFail("candidate 1 trains") }
        let afterSuccess = await pool.failedSeconds
        XCTAssertEqual(afterSuccess, 0)
        guard case .failure = await pool.evaluate(EvaluationJob(candidate: 2, graph: graph)) else { return XCTFail("candidate 2 fails") }
        let afterFailure = await pool.failedSeconds
        XCTAssertGreaterThanOrEqual(afterFailure, 0.05)
        XCTAssertLessThan(afterFailure, 1)
    }

    func testPlanningFollowsLLMaticSelection() throws {
        var config = TestRun.config()
        config.initialNetworks = 2
        var state = SearchState(config: config)
        XCTAssert(state.plan(generation: 1, count: 10, firstID: 1, config: config).allSatisfy { $0.parents == [0] })
        for id in 0..<6 {
            var r = CandidateRecord(id: id, generation: 0, operation: .mutation(.addLayer), parents: [0], temperature: 0.6)
            r.metrics = CandidateMetrics(validationAccuracy: Double(id) / 10, validationLoss: 1)
            r.fitness = Double(id) / 10
            r.cost = CostSummary(parameters: 1, flops: 1, depth: 1, width: 1, activations: 1)
            r.descriptor = [Double(id) / 6, Double(id) / 6]
            state.apply(&r)
        }
        let plans = state.plan(generation: 2, count: 400, firstID: 10, config: config)
        let crossovers = plans.filter { $0.operation == .crossover }.count
        XCTAssert((30...100).contains(crossovers), "about 15% crossovers, got \(crossovers)")
        let top3 = Set(state.networks.ranked.prefix(3).map(\.payload.candidate))
        XCTAssert(plans.allSatisfy { top3.contains($0.parents[0]) }, "first parents come from the 3 fittest")
        XCTAssert(plans.allSatisfy { (0.1...1.0).contains($0.temperature) })
    }
}

