import XCTest
import NetCode
import NetIR
@testable import Search

/// The focused mutation prompt (`PromptTask`), the second round for a reply that repeats its parent, and the
/// yield harness behind `llmatic llm-yield`, all against a fake endpoint.
final class PromptYieldTests: XCTestCase {
    static let parent = ChildVettingTests.seedTwin
    /// The parent with a BatchNorm after c1: what a model that did "add normalization" returns.
    static let withNorm = parent
        .replacingOccurrences(of: "self.c1 = nn.Conv2d(1, 32, 3, padding=1)", with: "self.c1 = nn.Conv2d(1, 32, 3, padding=1)\n        self.bn = nn.BatchNorm2d(32)")
        .replacingOccurrences(of: "F.relu(self.c1(x))", with: "F.relu(self.bn(self.c1(x)))")

    static func task(_ m: MutationInstruction, seed: UInt64) throws -> String {
        try XCTUnwrap(XCTUnwrap(PromptTask(parent: parent, input: TestRun.fashion)).task(m, seed: seed))
    }

    static func userMessage(_ prompt: LLMPrompt, _ m: MutationInstruction, seed: UInt64) -> String {
        prompt.chatMessages(for: .mutation(m), parents: [parent], seed: seed).last?.content ?? ""
    }

    func testTheParentsLayersHaveTheirShapesAsTheParserInfersThem() throws {
        let lines = try XCTUnwrap(PromptTask(parent: Self.parent, input: TestRun.fashion)).lines
        let shapes = Dictionary(lines.map { ($0.name, $0.output.dims) }, uniquingKeysWith: { a, _ in a })
        // By hand: 28x28 -> conv 3x3 pad 1 -> 28x28 -> pool 2 -> 14x14 -> conv -> pool -> 7x7; 64*7*7 = 3136.
        XCTAssertEqual(shapes["self.c1"], [32, 28, 28])
        XCTAssertEqual(shapes["self.c2"], [64, 14, 14])
        XCTAssertEqual(shapes["self.hidden"], [128])
        XCTAssertEqual(shapes["self.head"], [10])
        XCTAssertEqual(lines.filter(\.isModule).map(\.name), ["self.c1", "self.c2", "self.hidden", "self.head"],
                       "functional calls are not modules the model can name")
        XCTAssertNil(PromptTask(parent: "class Net(nn.Module):\n    pass\n", input: TestRun.fashion), "a parent that does not parse has no task")
        // The pooling task states the shape the parser infers after the pool (a place after c1 or c2).
        for seed in UInt64(0)..<8 {
            let pool = try Self.task(.addPooling, seed: seed)
            XCTAssert(pool.contains("[32, 28, 28] becomes [32, 14, 14]") || pool.contains("[64, 14, 14] becomes [64, 7, 7]"), pool)
        }
    }

    func testEachTaskNamesAPlaceThatExistsWithItsSizes() throws {
        var norms: Set<String> = []
        for seed in UInt64(0)..<24 {
            let norm = try Self.task(.addNormalization, seed: seed)
            // The BatchNorm's size is the out_channels of the convolution it follows: c1 -> 32, c2 -> 64.
            if norm.contains("after self.c1") { XCTAssert(norm.contains("nn.BatchNorm2d(32)"), norm); norms.insert("c1") }
            else if norm.contains("after self.c2") { XCTAssert(norm.contains("nn.BatchNorm2d(64)"), norm); norms.insert("c2") }
            else { XCTFail("no convolution named: \(norm)") }
            let delete = try Self.task(.deleteLayer, seed: seed)
            XCTAssertFalse(delete.contains("self.head"), "the output layer is never the one to delete: \(delete)")
            XCTAssertEqual(try Self.task(.addDropout, seed: seed).contains("right before self.head"), true)
            XCTAssertEqual(try Self.task(.addNormalization, seed: seed), norm, "the same seed gives the same task")
        }
        XCTAssertEqual(norms, ["c1", "c2"], "the seed chooses among the places")
        XCTAssert(try Self.task(.addLinear, seed: 0).contains("nn.Linear(128, 128)"), "the hidden layer takes the last Linear's input")
        XCTAssert(try Self.task(.addRecurrent, seed: 0).contains("cannot be used"), "no recurrent layer is asked for: we parse none")
        for m in MutationInstruction.allCases { XCTAssertNotNil(try? Self.task(m, seed: 3), "\(m)") }
    }

    func testFocusedPromptCarriesTheTaskAndThePaperPromptStaysLLMatics() {
        let focused = Self.userMessage(LLMPrompt(inputDescription: "1x28x28", classes: 10), .addNormalization, seed: 1)
        XCTAssertFalse(focused.contains("-> ["), "no listing the model could copy into its code: \(focused)")
        XCTAssert(focused.contains("Task: Add a new layer self.bn_new = nn.BatchNorm2d("), focused)
        XCTAssert(focused.contains("Returning the network unchanged is wrong"), focused)
        XCTAssert(focused.hasPrefix("```python\n# Input x: [N, 1, 28, 28] images."), focused)
        let paper = Self.userMessage(LLMPrompt(inputDescription: "1x28x28", classes: 10, style: .paper), .addNormalization, seed: 1)
        XCTAssert(paper.hasSuffix("```\n\nAdd normalization layer to improve the above network."), paper)
        // A crossover keeps LLMatic's instruction in both styles.
        let cross = LLMPrompt(inputDescription: "1x28x28", classes: 10).chatMessages(for: .crossover, parents: [Self.parent, Self.withNorm])
        XCTAssert(cross.last?.content.hasSuffix(Variation.crossoverPrompt + ".") == true)
    }

    // MARK: the harness, against a fake endpoint

    static func harness(_ server: TestHTTPServer, revise: Bool = true) -> ReplyYield {
        let mutator = LLMMutator(client: LLMClient(config: ChildVettingTests.llmConfig(server.baseURL), environment: [:]),
                                 prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        let checker = CandidateChecker(codec: .pytorch(input: TestRun.fashion), classes: 10, limits: SearchLimits())
        return ReplyYield(mutator: mutator, checker: checker, input: TestRun.fashion, reviseUnchanged: revise)
    }

    static let prompt = YieldPrompt(operation: .mutation(.addNormalization), parents: [parent], parentLabel: "twin",
                                    temperature: 0.6, seed: 5)

    func testAReplyThatRepeatsItsParentIsSentBackOnceAndItsRevisionCounts() async throws {
        let same = ChildVettingTests.reply(ChildVettingTests.seedTwin), changed = ChildVettingTests.reply(Self.withNorm)
        let server = try TestHTTPServer(maxRequests: 20) { r in
            .reply(status: 200, body: r.body.contains("the task was not done") ? changed : same)
        }
        defer { server.stop() }
        let trial = await Self.harness(server).trial(Self.prompt)
        XCTAssertEqual(trial.outcome, .new)
        XCTAssert(trial.firstSameAsParent)
        XCTAssert(trial.parsedAsWritten)
        XCTAssertEqual(trial.secondRound, "changed")
        XCTAssertEqual(trial.replies, 2)
        XCTAssertEqual(trial.completionTokens, 240)
        XCTAssertEqual(server.received.count, 2)
        // The revision request carries the reply and the task again.
        let revision = try XCTUnwrap(server.received.last?.body)
        XCTAssert(revision.contains("Add normalization layer to improve the above network"), revision)

        let plain = await Self.harness(server, revise: false).trial(Self.prompt)
        XCTAssertEqual(plain.outcome, .sameAsParent)
        XCTAssertNil(plain.secondRound)
        XCTAssertEqual(plain.replies, 1)
        XCTAssertEqual(server.received.count, 3, "without revisions one request")

        let table = YieldSummary.table([trial, plain])
        XCTAssertEqual(table.map(\.kind), ["add-norm", "all"])
        let all = try XCTUnwrap(table.last)
        XCTAssertEqual([all.prompts, all.replies, all.new, all.sameAsParent, all.firstSameAsParent, all.secondRounds,
                        all.secondRoundsSucceeded], [2, 3, 1, 1, 2, 1, 1])
        XCTAssertEqual(all.newShare, 0.5, accuracy: 1e-12)
        XCTAssertEqual(all.usableShare, 1.0, accuracy: 1e-12)
    }

    func testRepairsWithoutTheModelAndTheErrorRoundAreCounted() async throws {
        let misSized = ChildVettingTests.reply(ChildVettingTests.misSized)
        let server = try TestHTTPServer(maxRequests: 20) { _ in .reply(status: 200, body: misSized) }
        defer { server.stop() }
        let repaired = await Self.harness(server).trial(Self.prompt)
        XCTAssertEqual(repaired.outcome, .new)
        XCTAssert(repaired.repairedWithoutModel)
        XCTAssertFalse(repaired.parsedAsWritten)
        XCTAssertNil(repaired.secondRound)

        let broken = ChildVettingTests.reply(ChildVettingTests.undefinedModule)
        let fixed = ChildVettingTests.reply(ChildVettingTests.undefinedFixed)
        let server2 = try TestHTTPServer(maxRequests: 20) { r in
            .reply(status: 200, body: r.body.contains("fails to load") ? fixed : broken)
        }
        defer { server2.stop() }
        let round = await Self.harness(server2).trial(Self.prompt)
        XCTAssertEqual(round.outcome, .new)
        XCTAssertEqual(round.secondRound, "fixed")
        XCTAssertEqual(round.replies, 2)

        let prose = TestHTTPServer.chatReply("I cannot help with that.")
        let server3 = try TestHTTPServer(maxRequests: 20) { _ in .reply(status: 200, body: prose) }
        defer { server3.stop() }
        let none = await Self.harness(server3).trial(Self.prompt)
        XCTAssertEqual(none.outcome, .invalid)
        XCTAssertFalse(none.hadCode)
    }

    // MARK: the search

    func testSearchSendsAChildThatRepeatsItsParentBackAndTrainsTheRevision() async throws {
        let dir = TestRun.folder("revise")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let same = ChildVettingTests.reply(ChildVettingTests.seedTwin), changed = ChildVettingTests.reply(Self.withNorm)
        let server = try TestHTTPServer(maxRequests: 200) { r in
            .reply(status: 200, body: r.body.contains("the task was not done") ? changed : same)
        }
        defer { server.stop() }
        _ = try await ChildVettingTests.engine(dir, llm: ChildVettingTests.llmConfig(server.baseURL), evaluations: 2, batch: 1,
                                               evaluator: FakeEvaluator()).run()
        let child = try XCTUnwrap(TestRun.candidates(dir).first { $0.id == 1 })
        XCTAssertEqual(child.revision, "changed")
        XCTAssertNil(child.repairRound)
        XCTAssertNil(child.fallback)
        XCTAssertNotNil(child.metrics, "the revision trains")
        XCTAssertEqual(child.llm?.replies, 2)
        XCTAssertEqual(child.structure, try ChildVettingTests.structure(Self.withNorm))
        XCTAssertEqual(dir.read(dir.candidateFile(1, .source)), Self.withNorm)
        XCTAssertEqual(dir.read(dir.candidateFile(1, .reply)), ChildVettingTests.seedTwin, "the first reply is kept")
        XCTAssertNotNil(dir.read(dir.candidateFile(1, .repairPrompt)))
        let yield = ChildYield(directory: dir, config: try dir.readJSON(SearchConfig.self, from: dir.configPath))
        XCTAssertEqual(yield.total.revisions, 1)
        XCTAssertEqual(yield.total.revisionsChanged, 1)
        XCTAssertEqual(yield.total.modelTrained, 1)
        XCTAssertEqual(yield.total.modelDuplicates, 0)
    }
}
