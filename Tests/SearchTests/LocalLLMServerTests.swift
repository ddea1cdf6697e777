import Foundation
import XCTest
@testable import Search

/// Reading the state file that scripts/llm_server.py writes: where it is looked for, what it must hold, and a
/// server whose process has gone.
final class LocalLLMServerTests: XCTestCase {
    func stateFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "llmatic-llm-state-\(getpid())-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The fields as llm_server.py writes them (extra ones such as `xllamacpp` and `started` are ignored).
    func state(pid: Int32) -> String {
        """
        {"url": "http://127.0.0.1:41234/v1", "model": "qwen2.5-coder-0.5b-instruct-q4_k_m",
         "model_file": "/m/qwen.gguf", "pid": \(pid), "port": 41234, "parallel": 2, "threads": 1,
         "context_per_slot": 4096, "xllamacpp": "2026.10.11549", "started": "2026-12-02T14:58:16Z"}
        """
    }

    func testStatePathFollowsTheScriptsRule() {
        XCTAssertEqual(LocalLLMServer.statePath(environment: ["LLMATIC_LLM_STATE": "/s.json", "XDG_CACHE_HOME": "/x"]), "/s.json")
        XCTAssertEqual(LocalLLMServer.statePath(environment: ["XDG_CACHE_HOME": "/x"]), "/x/llmatic/llm-server.json")
        XCTAssert(LocalLLMServer.statePath(environment: ["XDG_CACHE_HOME": ""]).hasSuffix("/.cache/llmatic/llm-server.json"))
    }

    func testRunningServerIsRead() throws {
        // This test process stands in for the server: its pid is certainly alive.
        let path = try stateFile(state(pid: getpid()))
        let server = try LocalLLMServer.current(environment: ["LLMATIC_LLM_STATE": path])
        XCTAssertEqual(server, LocalLLMServer(url: "http://127.0.0.1:41234/v1", model: "qwen2.5-coder-0.5b-instruct-q4_k_m",
                                              modelFile: "/m/qwen.gguf", pid: getpid(), port: 41234, parallel: 2, threads: 1))
    }

    func testMissingStaleAndBrokenStateFilesAreNamed() throws {
        let missing = NSTemporaryDirectory() + "llmatic-no-such-state-\(UUID().uuidString).json"
        XCTAssertThrowsError(try LocalLLMServer.current(environment: ["LLMATIC_LLM_STATE": missing])) {
            XCTAssertEqual($0 as? LocalLLMServerError, .notStarted(statePath: missing))
            XCTAssert("\($0)".contains("scripts/llm-server start"))
        }
        // A pid past Linux's pid_max (2^22) belongs to no process.
        let stale = try stateFile(state(pid: 5_000_000))
        XCTAssertThrowsError(try LocalLLMServer.current(environment: ["LLMATIC_LLM_STATE": stale])) {
            XCTAssertEqual($0 as? LocalLLMServerError, .notRunning(statePath: stale, pid: 5_000_000))
        }
        let broken = try stateFile(#"{"url": "http://127.0.0.1:1/v1"}"#)
        XCTAssertThrowsError(try LocalLLMServer.current(environment: ["LLMATIC_LLM_STATE": broken])) {
            guard case .unreadable(let path, _)? = $0 as? LocalLLMServerError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, broken)
        }
    }
}
