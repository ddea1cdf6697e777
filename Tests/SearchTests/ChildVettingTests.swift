import XCTest
import NetCode
import NetIR
@testable import Search

/// Children worth training, against a fake endpoint: duplicates are skipped, input sizes repaired without the
/// model, other errors sent back once, a dead or slow endpoint degrades to the rules, and the yield is counted.
final class ChildVettingTests: XCTestCase {
    static let header = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

    /// The built-in `smallcnn` seed, written differently: other names, another `__init__` order, functional
    /// activations and pooling, other spacing.
    static let seedTwin = header + """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(128, 10)
            self.c1 = nn.Conv2d(1, 32, 3, padding=1)
            self.c2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)

            self.hidden = nn.Linear(64 * 7 * 7, 128)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.c1(x)), 2)
            x = F.max_pool2d(F.relu(self.c2(x)),   2)
            x = torch.flatten(x, 1)
            return self.head(F.relu(self.hidden(x)))

    """

    /// conv2 widened to 48 without its in_channels (still 16) or fc1's in_features (still 3136) following.
    static let misSized = header + """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 48, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(64)
            self.fc1 = nn.Linear(3136, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
            x = x.view(x.size(0), -1)
            return self.fc2(F.relu(self.fc1(x)))

    """

    /// Uses `self.act`, never defined: which activation is meant is a guess (unlike `self.relu`, which
    /// `MissingModuleRepair` defines without the model), so it goes back to the model.
    static let undefinedModule = header + """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 24, 3, padding=1)
            self.fc = nn.Linear(24 * 14 * 14, 10)

        def forward(self, x):
            x = F.max_pool2d(self.act(self.conv1(x)), 2)
            return self.fc(torch.flatten(x, 1))

    """

    static let undefinedFixed = undefinedModule.replacingOccurrences(
        of: "self.fc = nn.Linear(24 * 14 * 14, 10)", with: "self.fc = nn.Linear(24 * 14 * 14, 10)\n        self.act = nn.ReLU()")

    /// A chat reply with a `usage` object, as llama.cpp sends.
    static func reply(_ code: String, promptTokens: Int = 300, completionTokens: Int = 120) -> String {
        let object: [String: Any] = ["choices": [["index": 0, "message": ["role": "assistant", "content": "```python\n\(code)```"]]],
                                     "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens]]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    static func llmConfig(_ url: String, timeout: Double = 10, retries: Int = 0, deadline: Double? = nil) -> LLMConfig {
        LLMConfig(baseURL: url, model: "fake", timeoutSeconds: timeout, retries: retries, backoffSeconds: 0.02,
                  maxBackoffSeconds: 0.05, concurrency: 2, maxReplyBytes: 1 << 20, childDeadlineSeconds: deadline)
    }

    /// `fillIns` off by default: these tests follow the model's own children (FillInTests has the fill-ins).
    static func engine(_ dir: RunDirectory, llm: LLMConfig, evaluations: Int, batch: Int = 2, evaluator: FakeEvaluator,
                       resume: Bool = false, fillIns: Bool = false) throws -> SearchEngine {
        let mutator = LLMMutator(client: LLMClient(config: llm, environment: [:]),
                                 prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        var config = TestRun.config(evaluations: evaluations, batch: batch)
        config.mutator = MutatorSettings(kind: .llm, llm: llm)
        let engine = try TestRun.engine(dir, config: config, evaluator: evaluator, mutator: mutator, resume: resume)
        engine.fillIns = fillIns
        return engine
    }

    static func structure(_ source: String) throws -> String {
        try NetworkSource.parse(source, file: "t.py", input: TestRun.fashion).graph.structuralHash
    }

    // MARK: structural hash

    func testStructuralHashIgnoresNamesOrderAndFormattingButNotTheComputation() throws {
        let seed = NetworkCodec.pytorch(input: TestRun.fashion).emit(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion))
        XCTAssertEqual(try Self.structure(Self.seedTwin), try Self.structure(seed))
        // Writing out default arguments changes nothing; one attribute or one activation does.
        XCTAssertEqual(try Self.structure(Self.seedTwin), try Self.structure(Self.seedTwin.replacingOccurrences(
            of: "nn.Conv2d(32, 64, kernel_size=3, padding=1)", with: "nn.Conv2d(32, 64, kernel_size=3, padding=1, stride=1, dilation=1)")))
        XCTAssertNotEqual(try Self.structure(Self.seedTwin), try Self.structure(Self.seedTwin.replacingOccurrences(
            of: "nn.Linear(128, 10)", with: "nn.Linear(128, 10, bias=False)")))
        XCTAssertNotEqual(try Self.structure(Self.seedTwin), try Self.structure(Self.seedTwin.replacingOccurrences(
            of: "F.relu(self.hidden(x))", with: "F.gelu(self.hidden(x))")))
        // Addition commutes, and an Identity is its input.
        let residual = Self.header + """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(1, 8, 3, padding=1)
                self.b = nn.Conv2d(8, 8, 3, padding=1)
                self.skip = nn.Identity()
                self.fc = nn.Linear(8 * 28 * 28, 10)

            def forward(self, x):
                y = self.a(x)
                z = self.skip(y) + self.b(y)
                return self.fc(torch.flatten(z, 1))

        """
        let swapped = residual.replacingOccurrences(of: "self.skip(y) + self.b(y)", with: "self.b(y) + y")
        XCTAssertEqual(try Self.structure(residual), try Self.structure(swapped))
        XCTAssertNotEqual(try Self.structure(residual), try Self.structure(residual.replacingOccurrences(of: "self.skip(y) + self.b(y)", with: "self.b(y)")))
    }

    // MARK: duplicates

    func testDuplicateChildIsLoggedNeverTrainedAndItsSlotFilledByRules() async throws {
        let dir = TestRun.folder("dup")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let body = Self.reply(Self.seedTwin)
        let server = try TestHTTPServer(maxRequests: 200) { _ in .reply(status: 200, body: body) }
        defer { server.stop() }
        let fake = FakeEvaluator()
        let summary = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL), evaluations: 7, evaluator: fake).run()

        XCTAssertEqual(summary.evaluations, 7, "duplicates do not use the evaluation budget")
        XCTAssertEqual(fake.jobs.count, 7)
        let records = TestRun.candidates(dir)
        let trained = records.filter { $0.cost != nil }
        XCTAssertEqual(Set(trained.compactMap(\.structure)).count, trained.count, "no network is trained twice")
        XCTAssertEqual(trained.first { $0.id == 0 }?.structure, try Self.structure(Self.seedTwin))
        let duplicates = DuplicateRecord.all(in: dir.eventsPath).filter { $0.by == "model" }
        XCTAssertGreaterThanOrEqual(duplicates.count, 6, "every model child repeated the seed")
        XCTAssertEqual(Set(duplicates.map(\.id)).count, duplicates.count, "one duplicate line per model child")
        // Each was sent back once asking for the change (revisionRound), and repeated the seed again.
        XCTAssert(duplicates.allSatisfy { $0.duplicateOf == 0 && $0.llm?.replies == 2 })
        for r in records where r.id != 0 {
            XCTAssertEqual(r.fallback, "the model's child repeats #0", "#\(r.id)")
            XCTAssertNil(r.llm)
            XCTAssertNotEqual(r.structure, duplicates.first?.structure)
        }
        XCTAssertEqual(summary.failures, 0, "duplicates are not failures")
        XCTAssertGreaterThanOrEqual(summary.duplicates, 6)
        XCTAssertEqual(try XCTUnwrap(summary.llm_valid_rate), 1.0, accuracy: 1e-12, "duplicate-skipped replies count as valid")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any])
        for key in ["llm_valid_rate", "duplicates", "repairs", "llm_seconds"] { XCTAssertNotNil(json[key], key) }

        let yield = ChildYield(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath))
        let n = duplicates.count
        XCTAssertEqual(yield.total.replies, n)
        XCTAssertEqual(yield.total.modelDuplicates, n)
        XCTAssertEqual(yield.total.fallbacks, 6)
        XCTAssertEqual(yield.total.promptTokens, n * 2 * 300)
        XCTAssertEqual(yield.total.completionTokens, n * 2 * 120)
        XCTAssertEqual(yield.total.revisions, n)
        XCTAssertEqual(yield.total.revisionsChanged, 0)
        try Report.write(dir)
        XCTAssert(try XCTUnwrap(dir.read(dir.reportPath)).contains("Children: yield"))
    }

    func testResumeKeepsTheDuplicateSet() async throws {
        let dir = TestRun.folder("dup-resume")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let body = Self.reply(Self.undefinedFixed)
        let server = try TestHTTPServer(maxRequests: 200) { _ in .reply(status: 200, body: body) }
        defer { server.stop() }
        _ = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL), evaluations: 3, batch: 1, evaluator: FakeEvaluator()).run()
        let first = TestRun.candidates(dir)
        let owner = try XCTUnwrap(first.first { $0.llm != nil && $0.cost != nil }, "the model's network trained once")
        XCTAssertEqual(owner.structure, try Self.structure(Self.undefinedFixed))

        let fake = FakeEvaluator()
        let summary = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL), evaluations: 6, batch: 1, evaluator: fake,
                                            resume: true).run()
        XCTAssertEqual(summary.evaluations, 6)
        XCTAssertEqual(fake.jobs.count, 3)
        let records = TestRun.candidates(dir)
        XCTAssertEqual(records.filter { $0.structure == owner.structure && $0.cost != nil }.map(\.id), [owner.id],
                       "after --resume the model's network is still known and never trained again")
        let afterResume = DuplicateRecord.all(in: dir.eventsPath).filter { $0.id > first.map(\.id).max() ?? 0 && $0.by == "model" }
        XCTAssertEqual(afterResume.count, 3)
        XCTAssert(afterResume.allSatisfy { $0.duplicateOf == owner.id })
    }

    // MARK: repairs

    func testInputSizesAreRepairedWithoutTheModelAndTheRepairedSourceIsKept() async throws {
        // Strict parsing is unchanged: the same source is an error naming the layer.
        XCTAssertThrowsError(try NetworkSource.parse(Self.misSized, file: "n.py", input: TestRun.fashion)) {
            XCTAssert("\($0)".contains("Conv2d expects 16 input channels"), "\($0)")
        }
        let dir = TestRun.folder("repair")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let body = Self.reply(Self.misSized)
        let server = try TestHTTPServer(maxRequests: 200) { _ in .reply(status: 200, body: body) }
        defer { server.stop() }
        let summary = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL), evaluations: 2, batch: 1,
                                            evaluator: FakeEvaluator()).run()
        let child = try XCTUnwrap(TestRun.candidates(dir).first { $0.id == 1 })
        XCTAssertNil(child.failure)
        XCTAssertNotNil(child.metrics, "the repaired child trains")
        XCTAssertEqual(child.repairs?.count, 3)
        let repairs = child.repairs?.joined(separator: "\n") ?? ""
        XCTAssert(repairs.contains("conv2 = Conv2d(in_channels=16 -> 32)"), repairs)
        XCTAssert(repairs.contains("bn2 = BatchNorm2d(num_features=64 -> 48)"), repairs)
        XCTAssert(repairs.contains("fc1 = Linear(in_features=3136 -> 2352)"), repairs)
        XCTAssertNil(child.repairRound, "no round with the model was needed")
        XCTAssertFalse(server.received.contains { $0.body.contains("fails to load") })
        // net.py is the repaired network and parses strictly; the model's own text stays as reply.py.
        let kept = try XCTUnwrap(dir.read(dir.candidateFile(1, .source)))
        let graph = try NetworkSource.parse(kept, file: "net.py", input: TestRun.fashion).graph
        XCTAssertEqual(graph.structuralHash, child.structure)
        XCTAssertEqual(dir.read(dir.candidateFile(1, .reply)), Self.misSized)
        XCTAssertEqual(summary.repairs, 1)
        let yield = ChildYield(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath))
        XCTAssertEqual(yield.total.repairedWithoutModel, 1)
        XCTAssertEqual(yield.total.parsed, 0, "it did not parse as written")
    }

    /// A two-evaluation search whose model always replies `code`: the first model child, which must have trained
    /// after repairs without a round with the model.
    static func repairedWithoutTheModel(_ code: String, _ dir: RunDirectory) async throws -> CandidateRecord {
        let body = reply(code)
        let server = try TestHTTPServer(maxRequests: 200) { _ in .reply(status: 200, body: body) }
        defer { server.stop() }
        _ = try await engine(dir, llm: llmConfig(server.baseURL), evaluations: 2, batch: 1, evaluator: FakeEvaluator()).run()
        let child = try XCTUnwrap(TestRun.candidates(dir).first { $0.id == 1 })
        XCTAssertNotNil(child.metrics, "the repaired child trains")
        XCTAssertNil(child.repairRound, "no round with the model was needed")
        return child
    }

    func testModuleUsedButNeverDefinedIsDefinedWithoutTheModel() async throws {
        let dir = TestRun.folder("missing-module")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let relu = Self.undefinedModule.replacingOccurrences(of: "self.act(", with: "self.relu(")
        let child = try await Self.repairedWithoutTheModel(relu, dir)
        XCTAssert(child.repairs?.first?.contains("self.relu = nn.ReLU() (used in forward, never defined)") == true, "\(child.repairs ?? [])")
        let intended = relu.replacingOccurrences(of: "self.fc = nn.Linear(24 * 14 * 14, 10)",
                                                 with: "self.fc = nn.Linear(24 * 14 * 14, 10)\n        self.relu = nn.ReLU()")
        XCTAssertEqual(child.structure, try Self.structure(intended))
        let kept = try XCTUnwrap(dir.read(dir.candidateFile(1, .source)))
        XCTAssertEqual(try Self.structure(kept), child.structure, "net.py is the repaired network and parses strictly")
        XCTAssertEqual(dir.read(dir.candidateFile(1, .reply)), relu)
    }

    /// A "delete a layer" reply that removed conv2 from `__init__` but left its call in `forward`: the parent (the
    /// seed) had conv2, so the search drops the call and sets the next sizes, without a round with the model.
    func testADeletedLayersLeftoverCallIsDroppedWithoutTheModel() async throws {
        let seed = NetworkCodec.pytorch(input: TestRun.fashion).emit(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion))
        let deleted = seed.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("self.conv2 = ") }.joined(separator: "\n")
        XCTAssertNotEqual(deleted, seed)
        XCTAssertThrowsError(try NetworkSource.parseRepairing(deleted, file: "n.py", input: TestRun.fashion),
                             "without the parent, an undefined conv2 is no repair")
        let dir = TestRun.folder("deleted-layer")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let child = try await Self.repairedWithoutTheModel(deleted, dir)
        XCTAssert(child.repairs?.contains { $0.contains("call of self.conv2 dropped") } == true, "\(child.repairs ?? [])")
        let kept = try XCTUnwrap(dir.read(dir.candidateFile(1, .source)))
        let graph = try NetworkSource.parse(kept, file: "net.py", input: TestRun.fashion).graph
        let convs = { (g: Graph) in g.nodes.filter { if case .conv2d = $0.layer { return true } else { return false } }.count }
        XCTAssertEqual(convs(graph), convs(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion)) - 1)
        XCTAssertEqual(graph.structuralHash, child.structure)
    }

    func testRepairNeedsAnUnambiguousSize() throws {
        // A Linear fed an image: where to flatten is a guess, so it stays an error even in repair mode.
        let unflattened = Self.misSized.replacingOccurrences(of: "x = x.view(x.size(0), -1)\n", with: "")
        XCTAssertThrowsError(try NetworkSource.parse(unflattened, file: "n.py", input: TestRun.fashion, repairInputSizes: true))
        // A module called twice at two sizes cannot have both.
        let shared = Self.header + """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(1, 8, 3, padding=1)
                self.b = nn.Conv2d(8, 8, 3, padding=1)
                self.fc = nn.Linear(8 * 28 * 28, 10)

            def forward(self, x):
                x = self.b(self.a(x))
                x = self.b(torch.cat([x, x], 1))
                return self.fc(torch.flatten(x, 1))

        """
        XCTAssertThrowsError(try NetworkSource.parse(shared, file: "n.py", input: TestRun.fashion, repairInputSizes: true))
        // The last Linear's out_features is set to the class count; a hidden Linear's is a design choice.
        let wide = try NetworkSource.parse(Self.seedTwin.replacingOccurrences(of: "nn.Linear(128, 10)", with: "nn.Linear(128, 512)"),
                                           file: "n.py", input: TestRun.fashion).graph
        let (fixed, change) = try XCTUnwrap(OutputRepair.repaired(wide, classes: 10))
        XCTAssertEqual(try fixed.inferShapes()[fixed.output], TensorShape(features: 10))
        XCTAssert(change.hasSuffix("head = Linear(out_features=512 -> 10)"), change)
        XCTAssertEqual(fixed.structuralHash, try Self.structure(Self.seedTwin))
        let pooled = try NetworkSource.parse(Self.seedTwin.replacingOccurrences(of: "return self.head(F.relu(self.hidden(x)))",
                                                                                with: "return F.relu(self.hidden(x))"),
                                             file: "n.py", input: TestRun.fashion).graph
        XCTAssertNotNil(OutputRepair.repaired(pooled, classes: 10), "a ReLU after the last Linear keeps its shape")
        let conv = try NetworkSource.parse(Self.header + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(1, 4, 3)\n\n    def forward(self, x):\n        return torch.flatten(self.c(x), 1)\n",
                                           file: "n.py", input: TestRun.fashion).graph
        XCTAssertNil(OutputRepair.repaired(conv, classes: 10), "no Linear at the output: nothing unambiguous to change")

        let parsed = try NetworkSource.parse(Self.misSized, file: "n.py", input: TestRun.fashion, repairInputSizes: true)
        XCTAssertEqual(parsed.repairs.map(\.module), ["conv2", "bn2", "fc1"])
        XCTAssertEqual(parsed.repairs.first?.location?.line, 9, "the line where conv2 is constructed")
    }

    func testRepairRoundSendsTheLocatedErrorAndUsesTheFixedReply() async throws {
        let dir = TestRun.folder("round")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let broken = Self.reply(Self.undefinedModule), fixed = Self.reply(Self.undefinedFixed)
        let server = try TestHTTPServer(maxRequests: 200) { r in
            .reply(status: 200, body: r.body.contains("fails to load") ? fixed : broken)
        }
        defer { server.stop() }
        let summary = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL), evaluations: 2, batch: 1,
                                            evaluator: FakeEvaluator()).run()
        let child = try XCTUnwrap(TestRun.candidates(dir).first { $0.id == 1 })
        XCTAssertEqual(child.repairRound, "fixed")
        XCTAssertNotNil(child.metrics)
        XCTAssertEqual(child.llm?.replies, 2)
        XCTAssertEqual(child.structure, try Self.structure(Self.undefinedFixed))
        XCTAssertEqual(dir.read(dir.candidateFile(1, .source)), Self.undefinedFixed)
        XCTAssertEqual(dir.read(dir.candidateFile(1, .reply)), Self.undefinedModule)
        // The repair request carries the model's own code and the error with file, line and column.
        let request = try XCTUnwrap(server.received.first { $0.body.contains("fails to load") })
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        let user = try XCTUnwrap((json["messages"] as? [[String: String]])?.last?["content"])
        XCTAssert(user.contains("self.act(self.conv1(x))"), user)
        XCTAssert(user.contains("candidates/000001/net.py:12:26: unknown name 'self.act'"), user)
        XCTAssert(user.hasPrefix("```python\n" + Self.undefinedModule), "the code goes back as written, so its line numbers match")
        XCTAssertEqual(summary.repairs, 1)
        let yield = ChildYield(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath))
        XCTAssertEqual(yield.total.repairRounds, 1)
        XCTAssertEqual(yield.total.repairRoundsFixed, 1)
        XCTAssertEqual(yield.total.replies, 1, "a repair round is part of its child's reply")
    }

    // MARK: a dead or slow endpoint

    func testDeadEndpointDegradesToRulesWithoutStalling() async throws {
        let dir = TestRun.folder("dead")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        // Port 1 on the loopback: nothing listens, every connection is refused.
        let clock = Date()
        let summary = try await Self.engine(dir, llm: Self.llmConfig("http://127.0.0.1:1", retries: 2), evaluations: 9,
                                            evaluator: FakeEvaluator()).run()
        let seconds = Date().timeIntervalSince(clock)
        XCTAssertLessThan(seconds, 10, "a dead endpoint must not stall the run")
        XCTAssertEqual(summary.evaluations, 9)
        let children = TestRun.candidates(dir).filter { $0.id != 0 }
        XCTAssert(children.allSatisfy { $0.fallback != nil && $0.llm == nil }, "\(children.map(\.fallback))")
        XCTAssert(children.contains { $0.fallback?.contains("connection failed") == true })
        XCTAssert(children.contains { $0.fallback?.contains("endpoint unavailable") == true }, "the breaker opened")
        XCTAssertNil(summary.llm_valid_rate, "no replies")
    }

    func testSlowEndpointMeetsTheChildDeadline() async throws {
        let dir = TestRun.folder("slow")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let body = Self.reply(Self.undefinedFixed)
        let server = try TestHTTPServer(maxRequests: 200) { _ in .slow(seconds: 6, body: body) }
        defer { server.stop() }
        let clock = Date()
        let summary = try await Self.engine(dir, llm: Self.llmConfig(server.baseURL, timeout: 30, deadline: 0.5),
                                            evaluations: 3, batch: 2, evaluator: FakeEvaluator()).run()
        XCTAssertLessThan(Date().timeIntervalSince(clock), 4, "each child waits at most its deadline")
        XCTAssertEqual(summary.evaluations, 3)
        // Rule fill-ins (`model-busy`) train while the model is awaited; every other child met the deadline.
        let children = TestRun.candidates(dir).filter { $0.id != 0 && $0.fallback != ChildOrigin.modelBusy }
        XCTAssertFalse(children.isEmpty)
        XCTAssert(children.allSatisfy { $0.fallback?.contains("deadline") == true }, "\(children.map(\.fallback))")
    }
}
