import XCTest
@testable import Search

/// `--resume` refuses what it cannot trust: a missing, damaged or cut event log is an error (it used to replay
/// as an empty run and start over, overwriting archives.json and candidate 0); the candidates' meta.json files
/// rebuild it exactly; children in flight at a kill are logged as interrupted; config.json is checked as the
/// command line is.
final class ResumeCheckTests: XCTestCase {
    func finishedRun(_ name: String) async throws -> (RunDirectory, SearchConfig, SearchState) {
        let dir = TestRun.folder(name)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir.root) }
        let config = TestRun.config(evaluations: 10, batch: 3)
        _ = try await TestRun.engine(dir, config: config).run()
        try ResumeCheck.verify(dir)
        return (dir, config, SearchEngine.replay(directory: dir, config: config))
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    func testMissingDamagedOrCutLogsAreErrorsThatSayWhatToDo() async throws {
        let (dir, _, _) = try await finishedRun("verify")
        let log = try XCTUnwrap(dir.read(dir.eventsPath))

        try FileManager.default.removeItem(atPath: dir.eventsPath)
        let missing = message { try ResumeCheck.verify(dir) }
        XCTAssertTrue(missing?.contains("is missing") == true && missing?.contains("--rebuild-log") == true, missing ?? "accepted")

        try dir.writeText("\u{1}\u{2}garbage\n" + log, to: dir.eventsPath)
        let garbled = message { try ResumeCheck.verify(dir) }
        XCTAssertTrue(garbled?.contains("line 1 is damaged") == true, garbled ?? "accepted")

        // Cut after the first few lines: finished candidates (they have meta.json) are not in it.
        try dir.writeText(log.split(separator: "\n").prefix(3).map { $0 + "\n" }.joined(), to: dir.eventsPath)
        let cut = message { try ResumeCheck.verify(dir) }
        XCTAssertTrue(cut?.contains("finished candidate(s)") == true, cut ?? "accepted")

        // A torn last line (a kill mid-write) is what EventLog recovers from: accepted.
        try dir.writeText(log + "{\"type\":\"cand", to: dir.eventsPath)
        XCTAssertNil(message { try ResumeCheck.verify(dir) })
    }

    func testARebuiltLogReplaysToTheSameArchives() async throws {
        let (dir, config, before) = try await finishedRun("rebuild")
        try dir.writeText("not json\n", to: dir.eventsPath)
        XCTAssertEqual(try ResumeCheck.rebuildLog(dir), before.evaluations)
        XCTAssertEqual(dir.read(dir.eventsPath + ".damaged"), "not json\n", "the damaged log is kept")
        try ResumeCheck.verify(dir)
        let after = SearchEngine.replay(directory: dir, config: config)
        XCTAssertEqual(after.evaluations, before.evaluations)
        XCTAssertEqual(after.failures, before.failures)
        XCTAssertEqual(after.maxCandidate, before.maxCandidate)
        XCTAssertEqual(after.networks.elites.mapValues(\.fitness), before.networks.elites.mapValues(\.fitness))
        XCTAssertEqual(after.networks.elites.mapValues(\.payload.candidate), before.networks.elites.mapValues(\.payload.candidate))

        // The resumed run continues after the rebuilt candidates and reuses no number.
        var more = config
        more.evaluations = 14
        let summary = try await TestRun.engine(dir, config: more, resume: true).run()
        XCTAssertEqual(summary.evaluations, 14)
        XCTAssertEqual(Set(TestRun.candidates(dir).map(\.id)).count, 14)
    }

    func testChildrenInFlightAtAKillAreLoggedAsInterruptedOnce() async throws {
        let (dir, config, before) = try await finishedRun("interrupted")
        let orphan = before.maxCandidate + 1
        try dir.makeFolder(dir.candidateFolder(orphan))
        try dir.writeText("# half written\n", to: dir.candidateFile(orphan, .source))
        XCTAssertEqual(try ResumeCheck.logInterrupted(dir), [orphan])
        XCTAssertEqual(try ResumeCheck.logInterrupted(dir), [], "logged once")
        let text = try XCTUnwrap(dir.read(dir.eventsPath))
        XCTAssertEqual(text.components(separatedBy: "\"type\":\"interrupted\"").count - 1, 1)
        XCTAssertTrue(text.contains("\"files\":[\"net.py\"],\"id\":\(orphan)"), text)
        try ResumeCheck.verify(dir)
        XCTAssertEqual(SearchEngine.replay(directory: dir, config: config).evaluations, before.evaluations,
                       "an interrupted child is not an evaluation")
    }

    func testResumedConfigValuesAreCheckedAsOnTheCommandLine() {
        let good = TestRun.config()
        XCTAssertNoThrow(try good.validate())
        var cases: [(SearchConfig, String)] = []
        var c = good; c.training.learningRate = .nan; cases.append((c, "training.learningRate"))
        c = good; c.training.learningRate = 1e9; cases.append((c, "training.learningRate"))
        c = good; c.niches = 1_000_000_000; cases.append((c, "niches"))
        c = good; c.promptNiches = 1_000_000; cases.append((c, "promptNiches"))
        c = good; c.nicheCentroids = [[0.5, 0.5]]; cases.append((c, "nicheCentroids"))
        c = good; c.nicheCentroids = Array(repeating: [0.5, 1.5], count: good.niches); cases.append((c, "nicheCentroids"))
        c = good; c.training.batchSize = Int.max; cases.append((c, "training.batchSize"))
        c = good; c.training.epochs = Int.max; cases.append((c, "training.epochs"))
        c = good; c.training.warmupFraction = -.infinity; cases.append((c, "training.warmupFraction"))
        c = good; c.timeLimit = .nan; cases.append((c, "timeLimit"))
        c = good; c.input = [1, 1 << 40, 1]; cases.append((c, "input"))
        c = good; c.mutator = MutatorSettings(kind: .llm, llm: LLMConfig(baseURL: "not a url", model: "m")); cases.append((c, "mutator.llm.baseURL"))
        c = good; c.mutator = MutatorSettings(kind: .llm, llm: LLMConfig(baseURL: "ftp://host/v1", model: "m")); cases.append((c, "mutator.llm.baseURL"))
        c = good; c.mutator = MutatorSettings(kind: .llm, llm: nil); cases.append((c, "mutator.llm"))
        for (config, key) in cases {
            let m = message { try config.validate() }
            XCTAssertTrue(m?.contains(key) == true, "\(key): \(m ?? "accepted")")
        }
    }

    func testURLChecks() {
        XCTAssertNil(LLMConfig.urlProblem("http://127.0.0.1:8080/v1"))
        XCTAssertNil(LLMConfig.urlProblem("https://api.example.com"))
        XCTAssertNotNil(LLMConfig.urlProblem("not a url"))
        XCTAssertNotNil(LLMConfig.urlProblem("ftp://example.com/v1"))
        XCTAssertNotNil(LLMConfig.urlProblem("http://"))
        XCTAssertNotNil(LLMConfig.urlProblem("localhost:8080"))
    }
}
