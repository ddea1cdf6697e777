// Issue 13's reproductions, run as a user runs them: bad sizes, resource-hungry values, untrustworthy run
// folders and hostile text must each end with status 1 or 2 and one line naming the problem, within seconds,
// never by a signal and never with status 0 after doing nothing.
import Foundation
import XCTest

extension CommandLineTests {
    /// The lines of stderr that carry the message (a usage error adds a `run ... --help` hint line).
    func messageLines(_ o: Outcome) -> [Substring] {
        o.stderr.split(separator: "\n").filter { !$0.hasPrefix("run `llmatic") && !$0.hasPrefix("warning:") }
    }

    func assertOneLineFailure(_ arguments: [String], status: Int32, says expected: String,
                              environment: [String: String] = [:], seconds: Double = 20,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let start = Date()
        let o = try llmatic(arguments, environment: environment)
        let label = arguments.joined(separator: " ")
        XCTAssertEqual(o.status, status, "\(label): \(o.stderr)", file: file, line: line)
        XCTAssertEqual(messageLines(o).count, 1, "\(label): one line on stderr, got: \(o.stderr)", file: file, line: line)
        XCTAssertTrue(o.stderr.contains(expected), "\(label): expected '\(expected)' in: \(o.stderr)", file: file, line: line)
        XCTAssertFalse(o.stderr.contains("Fatal error") || o.stderr.contains("Backtrace"), label, file: file, line: line)
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "\(label) took too long", file: file, line: line)
    }

    func testSizesFromInputAreCheckedNotTrapped() throws {
        let small = "synthetic:1x12x12:4:256:128"
        let out = try makeScratchDirectory(self) + "/run"
        try assertOneLineFailure(["check", "smallcnn", "--input", "99999999999x99999999999x99999999999"], status: 2, says: "for --input")
        try assertOneLineFailure(["check", "smallcnn", "--input", "1x16777216x16777216"], status: 2, says: "for --input")
        try assertOneLineFailure(["check", "smallcnn", "--classes", "9223372036854775807"], status: 2, says: "--classes: must be at most")
        // A shape the parser accepts whose layers grow past the limits: NetIR refuses it, naming the layer.
        try assertOneLineFailure(["check", "smallcnn", "--input", "64x8192x8192"], status: 1, says: "is too large")
        try assertOneLineFailure(["train", "--data", "synthetic:9223372036854775807x2x2:10:10:10", "--epochs", "0"],
                                 status: 1, says: "has a size above")
        try assertOneLineFailure(["train", "--data", "synthetic:1x100000x100000:10:10:10", "--epochs", "0"], status: 1, says: "of memory")
        try assertOneLineFailure(["train", "--data", "synthetic:1x28x28:10:9999999999999:1", "--epochs", "0"], status: 1, says: "of memory")
        try assertOneLineFailure(["search", "--data", small, "--niches", "1000000000", "--evaluations", "2", "--out", out], status: 2, says: "--niches")
        // Train builds with -Ounchecked: epochs x steps per epoch used to wrap to 0 steps and exit 0.
        try assertOneLineFailure(["train", "--data", small, "--epochs", "9223372036854775807", "--max-steps", "5"],
                                 status: 2, says: "--epochs: must be at most")
        let capped = try llmatic(["train", "--net", "smallcnn", "--data", small, "--epochs", "1000000", "--max-steps", "5",
                                  "--device", "cpu", "--json"])
        XCTAssertEqual(capped.status, 0, capped.stderr)
        XCTAssertEqual(try capped.json()["steps"] as? Int, 5)
    }

    func testResourceHungryValuesAreRefusedBeforeAllocating() throws {
        let small = "synthetic:1x12x12:4:256:128"
        let out = try makeScratchDirectory(self) + "/run"
        // Batch against the data set: refused before a plan for it is compiled (it used to allocate first).
        try assertOneLineFailure(["train", "--data", small, "--batch-size", "1000000", "--device", "cpu"], status: 1,
                                 says: "fewer than one batch", seconds: 10)
        try assertOneLineFailure(["search", "--data", small, "--batch-size", "1000000", "--evaluations", "2", "--device", "cpu", "--out", out],
                                 status: 1, says: "fewer than one batch", seconds: 10)
        // Batch against memory: smallcnn on 64x64 images needs ~0.45 GB at batch 256; allow it 50 MB.
        try assertOneLineFailure(["train", "--data", "synthetic:1x64x64:4:512:64", "--batch-size", "256", "--device", "cpu"],
                                 status: 1, says: "lower the batch size", environment: ["LLMATIC_MEMORY_LIMIT": "50M"])
        // More threads than cores: capped at the core count the warning names, which the backend then uses.
        let threads = try llmatic(["train", "--net", "smallcnn", "--data", small, "--threads", "4096", "--max-steps", "1",
                                   "--device", "cpu", "--json"])
        XCTAssertEqual(threads.status, 0, threads.stderr)
        let warning = try XCTUnwrap(threads.stderr.split(separator: "\n").first { $0.hasPrefix("warning: --threads 4096 is more than the ") })
        let cores = try XCTUnwrap(warning.split(separator: " ").compactMap { Int($0) }.first { $0 != 4096 })
        XCTAssertLessThan(cores, 4096)
        let device = try XCTUnwrap(try threads.json()["device"] as? String)
        XCTAssertTrue(device.contains("(\(cores) thread"), device)
    }

    func testBadURLsAndDeviceListsAreRefusedUpFront() throws {
        let out = try makeScratchDirectory(self) + "/run"
        let common = ["search", "--data", "synthetic:1x12x12:4:256:128", "--evaluations", "2", "--model", "m", "--out", out]
        try assertOneLineFailure(common + ["--llm-url", "not a url"], status: 2, says: "--llm-url", seconds: 5)
        try assertOneLineFailure(common + ["--llm-url", "ftp://example.com/v1"], status: 2, says: "ftp", seconds: 5)
        try assertOneLineFailure(["search", "--data", "synthetic:1x12x12:4:256:128", "--evaluations", "2", "--device", "cpu,,cpu", "--out", out],
                                 status: 2, says: "empty entry", seconds: 5)
    }

    /// A small finished search to resume: 4 candidates, rule mutator, CPU.
    func finishedRun(_ folder: String) throws -> String {
        let run = folder + "/run"
        let o = try llmatic(["search", "--data", "synthetic:1x12x12:4:256:128", "--evaluations", "4", "--batch", "2",
                             "--initial", "2", "--niches", "10", "--out", run, "--device", "cpu", "--threads", "1",
                             "--test-best=false"])
        XCTAssertEqual(o.status, 0, o.stderr)
        return run
    }

    func testResumeRefusesALogItCannotTrustAndRebuildsItOnRequest() throws {
        let folder = try makeScratchDirectory(self)
        let run = try finishedRun(folder)
        let resume = ["search", "--resume", run, "--evaluations", "6", "--device", "cpu", "--threads", "1", "--test-best=false", "--json"]
        let archives = try String(contentsOfFile: run + "/archives.json", encoding: .utf8)
        let seed = try String(contentsOfFile: run + "/candidates/000000/meta.json", encoding: .utf8)

        try FileManager.default.removeItem(atPath: run + "/events.jsonl")
        try assertOneLineFailure(Array(resume.dropLast()), status: 1, says: "--rebuild-log")
        var garbage = (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        garbage[100] = 10
        try Data(garbage).write(to: URL(fileURLWithPath: run + "/events.jsonl"))
        try assertOneLineFailure(Array(resume.dropLast()), status: 1, says: "line 1 is damaged")
        // Nothing was overwritten by the refused attempts.
        XCTAssertEqual(try String(contentsOfFile: run + "/archives.json", encoding: .utf8), archives)
        XCTAssertEqual(try String(contentsOfFile: run + "/candidates/000000/meta.json", encoding: .utf8), seed)

        let rebuilt = try llmatic(resume + ["--rebuild-log"])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        XCTAssertTrue(rebuilt.stdout.contains("rebuilt"), rebuilt.stdout)
        XCTAssertEqual(try rebuilt.json()["evaluations"] as? Int, 6, "the 4 earlier candidates count: 2 more were made")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/events.jsonl.damaged"))
        let folders = try FileManager.default.contentsOfDirectory(atPath: run + "/candidates").sorted()
        XCTAssertEqual(folders, (0..<6).map { String(format: "%06ld", $0) })
    }

    func testResumeValidatesTheConfigAndLogsInterruptedChildren() throws {
        let folder = try makeScratchDirectory(self)
        let run = try finishedRun(folder)
        let configPath = run + "/config.json"
        let original = try String(contentsOfFile: configPath, encoding: .utf8)
        let resume = ["search", "--resume", run, "--evaluations", "5", "--device", "cpu", "--threads", "1", "--test-best=false"]
        for (edit, expected) in [("\"learningRate\" : \"nan\"", "training.learningRate"), ("\"niches\" : 1000000000", "niches")] {
            let key = String(edit.split(separator: ":")[0])
            let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                line.trimmingCharacters(in: .whitespaces).hasPrefix(key) ? "    " + edit + (line.hasSuffix(",") ? "," : "") : String(line)
            }
            try lines.joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
            try assertOneLineFailure(resume, status: 1, says: expected)
        }
        try original.write(toFile: configPath, atomically: true, encoding: .utf8)

        // A child in flight at a kill: a folder with net.py and prompt.txt but no line in the log.
        let orphan = run + "/candidates/000004"
        try FileManager.default.createDirectory(atPath: orphan, withIntermediateDirectories: true)
        try "prompt\n".write(toFile: orphan + "/prompt.txt", atomically: true, encoding: .utf8)
        try "# unfinished\n".write(toFile: orphan + "/net.py", atomically: true, encoding: .utf8)
        let resumed = try llmatic(resume)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("#4 was in flight"), resumed.stdout)
        let log = try String(contentsOfFile: run + "/events.jsonl", encoding: .utf8)
        XCTAssertTrue(log.contains("\"files\":[\"net.py\",\"prompt.txt\"],\"id\":4"), log)
        XCTAssertTrue(log.contains("\"type\":\"interrupted\""), log)
    }

    func testCheckIsLinearAndEscapesInvisibleCharacters() throws {
        let folder = try makeScratchDirectory(self)
        let relus = folder + "/relus.py"
        try """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(784, 10)

            def forward(self, x):
                for i in range(9990):
                    x = torch.relu(x)
                return self.fc(torch.flatten(x, 1))
        """.write(toFile: relus, atomically: true, encoding: .utf8)
        let start = Date()
        let checked = try llmatic(["check", relus, "--json"])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(checked.status, 0, checked.stderr)
        XCTAssertEqual(try checked.json()["flops"] as? Int, 9990 * 784 + 2 * 784 * 10 + 10)
        XCTAssertLessThan(seconds, 8, "9,990 ReLUs took \(seconds) s (it was 28 s when each row re-costed its prefix)")

        let bidi = folder + "/bidi.py"
        try "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n    def forward(self, x):\n        return b\u{202E}ad\u{2028}x\n"
            .write(toFile: bidi, atomically: true, encoding: .utf8)
        let o = try llmatic(["check", bidi])
        XCTAssertEqual(o.status, 1)
        XCTAssertEqual(o.stderr.split(separator: "\n").count, 1, o.stderr)
        XCTAssertFalse(o.stderr.unicodeScalars.contains { $0 == "\u{202E}" || $0 == "\u{2028}" }, o.stderr)
        XCTAssertTrue(o.stderr.contains("b\\u{202E}ad"), o.stderr)
    }

    /// PoCL leaves an empty `tempfile_XXXXXX` in its cache on every initialisation; ours are removed. (On a
    /// machine without PoCL nothing appears either way.)
    func testOpenCLDiscoveryLeavesNoPoCLTempFiles() throws {
        let cache = try makeScratchDirectory(self)
        let o = try llmatic(["devices", "--json"], environment: ["POCL_CACHE_DIR": cache])
        XCTAssertEqual(o.status, 0, o.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("tempfile_") }
        XCTAssertEqual(left, [], "PoCL placeholders left in its cache")
    }
}
