import XCTest
@testable import Search

/// The LLM path against a local server that misbehaves in every way a real endpoint can.
final class LLMClientTests: XCTestCase {
    let code = "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 10)\n\n    def forward(self, x):\n        return self.fc(x.flatten(1))\n"

    func mutator(_ server: TestHTTPServer, path: String = "", api: LLMConfig.API = .chat, timeout: Double = 5,
                 retries: Int = 3) -> LLMMutator {
        let config = LLMConfig(baseURL: server.baseURL + path, model: "test-model", api: api, apiKeyVariable: "LLMATIC_TEST_KEY",
                               timeoutSeconds: timeout, retries: retries, backoffSeconds: 0.02, maxBackoffSeconds: 0.1,
                               concurrency: 2, maxReplyBytes: 1 << 20)
        return LLMMutator(client: LLMClient(config: config, environment: ["LLMATIC_TEST_KEY": "sk-test"]),
                          prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
    }

    func request(_ op: Variation = .mutation(.addConvolution)) -> MutationRequest {
        MutationRequest(operation: op, parents: [code], temperature: 0.7, seed: 1)
    }

    func testGoodCodeOverChat() async throws {
        let reply = TestHTTPServer.chatReply("Sure!\n```python\n\(code)```\nDone.")
        let server = try TestHTTPServer { _ in .reply(status: 200, body: reply) }
        defer { server.stop() }
        let out = try await mutator(server).generate(request())
        XCTAssertEqual(out.source, code)
        let sent = try XCTUnwrap(server.received.first)
        XCTAssertEqual(sent.path, "/v1/chat/completions")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
        XCTAssertEqual(json["model"] as? String, "test-model")
        XCTAssertEqual(json["temperature"] as? Double ?? 0, 0.7, accuracy: 1e-9)
        let messages = try XCTUnwrap(json["messages"] as? [[String: String]])
        XCTAssert(messages.last?["content"]?.contains("Add convolutional layer") ?? false)
        XCTAssert(messages.last?["content"]?.contains("self.fc = nn.Linear(784, 10)") ?? false)
    }

    func testCompletionsAPIAndCrossoverPrompt() async throws {
        let body = TestHTTPServer.completionReply(code)
        let server = try TestHTTPServer { _ in .reply(status: 200, body: body) }
        defer { server.stop() }
        let out = try await mutator(server, path: "/v1/", api: .completions)
            .generate(MutationRequest(operation: .crossover, parents: [code, code], temperature: 0.3, seed: 2))
        XCTAssertEqual(out.source, code)
        XCTAssertEqual(server.received.first?.path, "/v1/completions")
        XCTAssert(server.received.first?.body.contains("Combine the above two neural networks") ?? false)
    }

    func testBrokenCodeIsReturnedForTheParserToReject() async throws {
        let broken = "```python\nclass Net(nn.Module):\n    def forward(self, x:\n        return x\n```"
        let server = try TestHTTPServer { _ in .reply(status: 200, body: TestHTTPServer.chatReply(broken)) }
        defer { server.stop() }
        let out = try await mutator(server).generate(request())
        XCTAssert(out.source.contains("def forward(self, x:"))
    }

    func testNoCode() async throws {
        let server = try TestHTTPServer { _ in .reply(status: 200, body: TestHTTPServer.chatReply("I'd rather not.")) }
        defer { server.stop() }
        await assertThrows(try await mutator(server).generate(request())) {
            guard case .noCode = $0 else { return XCTFail("\($0)") }
        }
    }

    func testSlowReplyTimesOut() async throws {
        let server = try TestHTTPServer { _ in .slow(seconds: 3, body: TestHTTPServer.chatReply("```python\nclass A: pass\n```")) }
        defer { server.stop() }
        let start = Date()
        await assertThrows(try await mutator(server, timeout: 0.5).generate(request())) {
            guard case .timeout = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "the timeout must not wait for the slow server")
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.4, "\(server.received.count)")
    }

    func testRetriesOn429And500ThenSucceeds() async throws {
        let good = TestHTTPServer.chatReply("```python\n\(code)```")
        let server = try TestHTTPServer { r in
            switch r.index {
            case 0: return .reply(status: 429, body: "{\"error\":\"slow down\"}", headers: ["Retry-After": "0"])
            case 1: return .reply(status: 500, body: "oops")
            case 2: return .reply(status: 503, body: "busy")
            default: return .reply(status: 200, body: good)
            }
        }
        defer { server.stop() }
        let out = try await mutator(server).generate(request())
        XCTAssertEqual(out.source, code)
        XCTAssertEqual(server.received.count, 4)
    }

    func testRetriesRunOutWithTheLastStatus() async throws {
        let server = try TestHTTPServer { _ in .reply(status: 502, body: "bad gateway") }
        defer { server.stop() }
        await assertThrows(try await mutator(server, retries: 2).generate(request())) {
            guard case .http(502, _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(server.received.count, 3)
    }

    func testClientErrorsAreNotRetried() async throws {
        let server = try TestHTTPServer { _ in .reply(status: 401, body: "{\"error\":\"bad key\"}") }
        defer { server.stop() }
        await assertThrows(try await mutator(server).generate(request())) {
            guard case .http(401, let body) = $0 else { return XCTFail("\($0)") }
            XCTAssert(body.contains("bad key"))
        }
        XCTAssertEqual(server.received.count, 1)
    }

    func testDroppedConnectionIsRetried() async throws {
        let good = TestHTTPServer.chatReply("```python\n\(code)```")
        let server = try TestHTTPServer { r in r.index < 2 ? .drop : .reply(status: 200, body: good) }
        defer { server.stop() }
        let out = try await mutator(server).generate(request())
        XCTAssertEqual(out.source, code)
        XCTAssertEqual(server.received.count, 3)
    }

    func testDroppedEveryTimeIsATransportError() async throws {
        let server = try TestHTTPServer { _ in .drop }
        defer { server.stop() }
        await assertThrows(try await mutator(server, retries: 1).generate(request())) {
            guard case .transport = $0 else { return XCTFail("\($0)") }
        }
    }

    func testHugeReplyIsAbandoned() async throws {
        let server = try TestHTTPServer { _ in .huge(bytes: 8 << 20) }
        defer { server.stop() }
        await assertThrows(try await mutator(server).generate(request())) {
            guard case .badReply(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssert(m.contains("larger"))
        }
    }

    func testGarbageJSON() async throws {
        let server = try TestHTTPServer { _ in .reply(status: 200, body: "<html>not json</html>") }
        defer { server.stop() }
        await assertThrows(try await mutator(server).generate(request())) {
            guard case .badReply = $0 else { return XCTFail("\($0)") }
        }
    }

    func testConnectionRefused() async throws {
        let server = try TestHTTPServer { _ in .drop }
        let url = server.baseURL
        server.stop()
        try await Task.sleep(nanoseconds: 300_000_000)
        let config = LLMConfig(baseURL: url, model: "m", timeoutSeconds: 2, retries: 1, backoffSeconds: 0.01)
        let m = LLMMutator(client: LLMClient(config: config, environment: [:]), prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        await assertThrows(try await m.generate(request())) {
            guard case .transport = $0 else { return XCTFail("\($0)") }
        }
    }

    func testConcurrencyLimitHoldsRequestsBack() async throws {
        let good = TestHTTPServer.chatReply("```python\n\(code)```")
        let server = try TestHTTPServer { _ in .slow(seconds: 0.3, body: good) }
        defer { server.stop() }
        let m = mutator(server)   // concurrency 2
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let r = request()
            for _ in 0..<4 { group.addTask { _ = try await m.generate(r) } }
            try await group.waitForAll()
        }
        // Four 0.3 s replies two at a time take at least 0.6 s.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.55)
        XCTAssertEqual(server.received.count, 4)
    }

    func assertThrows(_ body: @autoclosure () async throws -> MutationOutput, file: StaticString = #filePath,
                      line: UInt = #line, _ check: (MutatorError) -> Void) async {
        do {
            _ = try await body()
            XCTFail("expected an error", file: file, line: line)
        } catch let e as MutatorError {
            check(e)
        } catch {
            XCTFail("untyped error \(error)", file: file, line: line)
        }
    }

    /// The archive's temperature is scaled before it is sent; without a scale it is sent as it is, and an old
    /// config.json without the field decodes to no scale.
    func testSamplingTemperatureIsTheArchiveTemperatureTimesTheScale() throws {
        var config = LLMConfig(baseURL: "http://127.0.0.1:9/v1", model: "m")
        func sent(_ c: LLMConfig) throws -> Double {
            let body = try LLMClient(config: c, environment: [:]).requestBody(system: nil, user: "u", temperature: 0.6)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
            return try XCTUnwrap((object["temperature"] as? NSNumber)?.doubleValue)
        }
        XCTAssertEqual(try sent(config), 0.6, accuracy: 1e-12)
        config.temperatureScale = LLMConfig.smallModelTemperatureScale
        XCTAssertEqual(try sent(config), 0.6 * 0.35, accuracy: 1e-12)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        object.removeValue(forKey: "temperatureScale")
        XCTAssertNil(try JSONDecoder().decode(LLMConfig.self, from: JSONSerialization.data(withJSONObject: object)).temperatureScale)
    }
}
