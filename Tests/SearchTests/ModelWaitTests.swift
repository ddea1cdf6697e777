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

/// The plain-http reply parser against hand-written replies: each framing, split at every byte.
final class ReplyReaderTests: XCTestCase {
    func read(_ text: String, maxBytes: Int = 1 << 20, splitAt: Int? = nil) -> Result<HTTPReply, HTTPFailure> {
        var reader = ReplyReader(maxBytes: maxBytes)
        let bytes = Array(text.utf8)
        let cut = min(splitAt ?? bytes.count, bytes.count)
        for part in [bytes[0..<cut], bytes[cut...]] where !part.isEmpty {
            if let failure = reader.take(part) { return .failure(failure) }
        }
        return reader.reply()
    }

    func body(_ r: Result<HTTPReply, HTTPFailure>) -> String? {
        guard case .success(let reply) = r else { return nil }
        return String(decoding: reply.body, as: UTF8.self)
    }

    func testContentLengthChunkedAndCloseFramingAtEverySplit() {
        let framed = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nhello"
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n"
        let closed = "HTTP/1.0 503 Busy\r\nContent-Type: text/plain\r\n\r\nhello"
        for text in [framed, chunked, closed] {
            for split in 0...text.utf8.count {
                XCTAssertEqual(body(read(text, splitAt: split)), "hello", "split at \(split): \(text.debugDescription)")
            }
        }
        guard case .success(let r) = read(framed), case .success(let c) = read(closed) else { return XCTFail() }
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.retryAfter, 3)
        XCTAssertEqual(c.status, 503)
    }

    func testCutShortOversizedAndGarbage() {
        guard case .failure(.connection) = read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello") else { return XCTFail("cut short") }
        guard case .failure(.connection) = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel") else { return XCTFail("chunk cut") }
        guard case .failure(.tooLarge) = read("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", maxBytes: 10) else { return XCTFail("declared too large") }
        guard case .failure(.tooLarge) = read("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 20), maxBytes: 10) else { return XCTFail("too large") }
        guard case .failure(.connection) = read("SSH-2.0-OpenSSH\r\n\r\n") else { return XCTFail("not HTTP") }
        guard case .failure(.connection) = read("") else { return XCTFail("nothing") }
    }
}

/// When the search's time is up, replies still on their way are cut: the search ends with what has trained
/// instead of waiting for the model (a late reply's child would train after the limit, taking the time of
/// promotion and the final network).
final class ModelCutAtTimeLimitTests: XCTestCase {
    func testRepliesStillOnTheirWayWhenTheTimeIsUpAreCutAndNotTrained() async throws {
        let dir = TestRun.folder("model-cut")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let slow = 20.0
        // The first four replies (the two generations in flight) come at once; every later one would take `slow`
        // seconds.
        let server = try TestHTTPServer(lifetime: 60) { r in
            let body = ChildVettingTests.reply(OverlapTests.network(r.index))
            return r.index < 4 ? .reply(status: 200, body: body) : .slow(seconds: slow, body: body)
        }
        defer { server.stop() }
        let llm = ChildVettingTests.llmConfig(server.baseURL, timeout: 2 * slow, deadline: 2 * slow)
        let mutator = LLMMutator(client: LLMClient(config: llm, environment: [:]),
                                 prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        var config = TestRun.config(evaluations: 40, batch: 2)
        config.mutator = MutatorSettings(kind: .llm, llm: llm)
        config.timeLimit = 2
        let engine = try TestRun.engine(dir, config: config, evaluator: FakeEvaluator(delay: 0.05), mutator: mutator)
        engine.fillIns = false
        let summary = try await engine.run()
        // Which requests reach the server first is a race between the generations in flight (a third one is
        // planned once the first is in): some of the quick replies may go to children dropped at the cut.
        let model = TestRun.candidates(dir).filter { ($0.llm?.replies ?? 0) > 0 }
        XCTAssert((1...4).contains(model.count), "the quick replies' children trained: \(model.count)")
        // A reply that came after the limit would have taken `slow` seconds: none was waited for.
        XCTAssert(model.allSatisfy { ($0.llm?.seconds ?? 0) < slow / 2 }, "\(model.map { $0.llm?.seconds ?? 0 })")
        XCTAssertEqual(summary.evaluations, 1 + model.count, "the seed and the quick replies' children; the cut children were not trained")
        XCTAssertEqual(engine.children.fallback?.closed, "the search's time is up")
        XCTAssertEqual(TestRun.candidates(dir).count, 1 + model.count)
    }

    func testChildrenClaimedInTimeButStillQueuedAtTheLimitAreNotTrained() async throws {
        let dir = TestRun.folder("model-queued-at-limit")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        // One device, 3 s a training, a 4-s limit: the seed trains 0-3 s, the first child 3-6 s; the other
        // children of the two generations in flight, all answered at once and claimed, wait for the device until
        // 6 s, past the limit, and must not start.
        let server = try TestHTTPServer(lifetime: 60) { r in
            let body = ChildVettingTests.reply(OverlapTests.network(r.index))
            return r.index < 4 ? .reply(status: 200, body: body) : .slow(seconds: 30, body: body)
        }
        defer { server.stop() }
        let llm = ChildVettingTests.llmConfig(server.baseURL, timeout: 60, deadline: 60)
        let mutator = LLMMutator(client: LLMClient(config: llm, environment: [:]),
                                 prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        var config = TestRun.config(evaluations: 40, batch: 2)
        config.mutator = MutatorSettings(kind: .llm, llm: llm)
        config.timeLimit = 4
        let evaluator = FakeEvaluator(delay: 3)
        let engine = try TestRun.engine(dir, config: config, evaluator: evaluator, mutator: mutator)
        engine.fillIns = false
        let summary = try await engine.run()
        XCTAssertEqual(summary.evaluations, 2, "the seed and the child that started before the limit")
        XCTAssertEqual(evaluator.jobs.count, 2, "\(evaluator.jobs)")
        XCTAssertEqual(TestRun.candidates(dir).count, 2, "the child not started leaves no record")
    }
}
