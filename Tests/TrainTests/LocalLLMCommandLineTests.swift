// `llmatic search --llm` when the local model server is absent or the options contradict each other: one line
// that says what to do, before any data set is loaded or run folder made.
import Foundation
import XCTest

extension CommandLineTests {
    func testSearchLLMSwitchNeedsARunningLocalServer() throws {
        let out = NSTemporaryDirectory() + "llmatic-cli-llm-\(UUID().uuidString)"
        let conflicting = try llmatic(["search", "--llm", "--llm-url", "http://127.0.0.1:1/v1", "--evaluations", "2",
                                       "--data", "synthetic", "--out", out])
        XCTAssertEqual(conflicting.status, 2)
        XCTAssert(conflicting.stderr.contains("--llm and --llm-url exclude each other"), conflicting.stderr)

        let modelAlone = try llmatic(["search", "--model", "m", "--evaluations", "2", "--data", "synthetic", "--out", out])
        XCTAssertEqual(modelAlone.status, 2)
        XCTAssert(modelAlone.stderr.contains("--model needs --llm-url (or --llm)"), modelAlone.stderr)

        // The child inherits this variable: a state file that does not exist means no server was started.
        let missing = NSTemporaryDirectory() + "llmatic-no-llm-state-\(UUID().uuidString).json"
        setenv("LLMATIC_LLM_STATE", missing, 1)
        defer { unsetenv("LLMATIC_LLM_STATE") }
        let absent = try llmatic(["search", "--llm", "--evaluations", "2", "--data", "synthetic", "--out", out])
        XCTAssertEqual(absent.status, 1)
        XCTAssert(absent.stderr.contains("no local model server: \(missing) does not exist (start one with scripts/llm-server start)"),
                  absent.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/events.jsonl"))
    }
}
