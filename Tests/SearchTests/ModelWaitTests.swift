import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Search

/// Waiting for a slow language model must leave the cores to the trainer and the model server.
final class ModelWaitTests: XCTestCase {
    /// User plus system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    func testWaitingForASlowReplyCostsNoCPU() async throws {
        let reply = TestHTTPServer.chatReply("```python\nclass Net(nn.Module):\n    pass\n```")
        let server = try TestHTTPServer { _ in .slow(seconds: 3, body: reply) }
        defer { server.stop() }
        let client = LLMClient(config: LLMConfig(baseURL: server.baseURL, model: "slow", timeoutSeconds: 20, retries: 0),
                               environment: [:])
        let cpu = Self.processCPUSeconds()
        let clock = Date()
        let text = try await client.complete(system: nil, user: "hello", temperature: 0.5, seed: 1)
        let waited = Date().timeIntervalSince(clock)
        let spent = Self.processCPUSeconds() - cpu
        print("waited \(String(format: "%.2f", waited)) s for the reply, process CPU \(String(format: "%.3f", spent)) s")
        XCTAssert(text.contains("class Net"))
        XCTAssertGreaterThanOrEqual(waited, 2.9)
        // Idle waiting: a few milliseconds of real work; 0.3 CPU-s is 10% of one core over the wait.
        XCTAssertLessThan(spent, 0.3, "waiting \(waited) s for a reply cost \(spent) CPU-seconds")
    }
}
