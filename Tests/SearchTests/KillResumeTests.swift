import XCTest
@testable import Search

/// kill -9 of the real binary in the middle of a search, then `--resume`: the run finishes with its archive.
final class KillResumeTests: XCTestCase {
    /// The llmatic binary next to the test bundle (built by `swift build --build-tests` / scripts/test).
    func binary() throws -> String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("llmatic").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        throw XCTSkip("llmatic binary not built next to the tests (run `swift build --build-tests` first)")
    }

    func launch(_ binary: String, _ arguments: [String], output: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func testKillNineThenResume() throws {
        let llmatic = try binary()
        let dir = TestRun.folder("kill")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let common = ["--threads", "1", "--json"]
        let first = try launch(llmatic, ["search", "--data", "synthetic:1x12x12:4:2048:256", "--evaluations", "5000",
                                         "--batch", "2", "--initial", "3", "--niches", "20", "--epochs", "1",
                                         "--out", dir.root] + common, output: dir.root + ".first.log")
        defer { try? FileManager.default.removeItem(atPath: dir.root + ".first.log") }
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && TestRun.candidates(dir).count < 12 { Thread.sleep(forTimeInterval: 0.05) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationReason, .uncaughtSignal)
        let config = try dir.readJSON(SearchConfig.self, from: dir.configPath)
        let before = SearchEngine.replay(directory: dir, config: config)
        XCTAssertGreaterThanOrEqual(before.evaluations, 12)

        let target = before.evaluations + 6
        let out = dir.root + ".second.log"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let second = try launch(llmatic, ["search", "--resume", dir.root, "--evaluations", "\(target)"] + common, output: out)
        let end = Date().addingTimeInterval(90)
        while second.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if second.isRunning { second.terminate() }
        second.waitUntilExit()
        let log = dir.read(out) ?? ""
        XCTAssertEqual(second.terminationStatus, 0, log)
        let last = try XCTUnwrap(log.split(separator: "\n").last)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], String(last))
        XCTAssertEqual(json["evaluations"] as? Int, target)
        for key in ["failures", "coverage", "best_accuracy", "report"] { XCTAssertNotNil(json[key], key) }
        let after = SearchEngine.replay(directory: dir, config: config)
        for (niche, elite) in before.networks.elites {
            XCTAssertGreaterThanOrEqual(after.networks.elites[niche]?.fitness ?? -1, elite.fitness, "niche \(niche) lost its elite")
        }
        let ids = TestRun.candidates(dir).map(\.id)
        XCTAssertEqual(Set(ids).count, ids.count, "no candidate number reused")
        XCTAssert(dir.exists(dir.reportPath))
    }
}
