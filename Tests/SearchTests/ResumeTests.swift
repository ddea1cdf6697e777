import XCTest
@testable import Search

/// A run killed at any moment continues with `--resume`, losing at most the candidates in flight.
final class ResumeTests: XCTestCase {
    /// The log as a kill leaves it: the last line torn mid-way, a candidate folder without a record.
    func testResumeAfterATornLastLine() async throws {
        let dir = TestRun.folder("torn")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let config = TestRun.config(evaluations: 20, batch: 3)
        _ = try await TestRun.engine(dir, config: config).run()
        // Drop the closing generation line and tear the last candidate line in half.
        var lines = try XCTUnwrap(dir.read(dir.eventsPath)).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        while let last = lines.last, !last.contains("\"type\":\"candidate\"") { lines.removeLast() }
        let torn = lines.removeLast()
        let text = lines.joined(separator: "\n") + "\n" + torn.prefix(torn.count / 2)
        try dir.writeText(text, to: dir.eventsPath)
        let before = SearchEngine.replay(directory: dir, config: config)
        XCTAssertEqual(before.evaluations, 19)

        var more = config
        more.evaluations = 30
        let summary = try await TestRun.engine(dir, config: more, resume: true).run()
        XCTAssertEqual(summary.evaluations, 30)
        let after = SearchEngine.replay(directory: dir, config: more)
        // Every niche is at least as good as before: the archive survived the kill.
        for (niche, elite) in before.networks.elites {
            XCTAssertGreaterThanOrEqual(after.networks.elites[niche]?.fitness ?? -1, elite.fitness)
        }
        let records = TestRun.candidates(dir)
        XCTAssertEqual(records.count, 30)
        XCTAssertEqual(Set(records.map(\.id)).count, 30, "no candidate number used twice")
        // The torn line was cut, so every line of the log is whole JSON again.
        let raw = try XCTUnwrap(dir.read(dir.eventsPath))
        XCTAssert(raw.hasSuffix("\n"))
        for line in raw.split(separator: "\n") {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), String(line.prefix(80)))
        }
        XCTAssertEqual(EventLog.read(RunEvent.self, from: dir.eventsPath).filter {
            if case .start(let s) = $0 { return s.resumed } else { return false }
        }.count, 1)
    }

    func testEventLogIgnoresGarbageAndTornLines() throws {
        let dir = TestRun.folder("log")
        try dir.create()
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        try dir.writeText("{\"type\":\"generation\",\"generation\":1,\"evaluations\":1,\"failures\":0,\"coverage\":0.1,\"time\":\"t\"}\nnot json\n{\"type\":\"gen", to: dir.eventsPath)
        XCTAssertEqual(EventLog.read(RunEvent.self, from: dir.eventsPath).count, 1, "garbage skipped, torn tail ignored")
        let log = try EventLog(path: dir.eventsPath)
        try log.append(GenerationRecord(generation: 2, evaluations: 2, failures: 0, coverage: 0.2, time: "t"))
        log.sync()
        let text = try XCTUnwrap(dir.read(dir.eventsPath))
        XCTAssertFalse(text.contains("{\"type\":\"gen{"), "new lines never glue onto a torn one")
        XCTAssertEqual(text.split(separator: "\n").count, 3)
    }

    func testAtomicWriteLeavesNoTemporaryFiles() throws {
        let dir = TestRun.folder("atomic")
        try dir.create()
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        for i in 0..<20 { try dir.writeText("version \(i)\n", to: dir.path("file.txt")) }
        XCTAssertEqual(dir.read(dir.path("file.txt")), "version 19\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.root)
        XCTAssertEqual(names.filter { $0.contains(".tmp") }, [])
    }
}
