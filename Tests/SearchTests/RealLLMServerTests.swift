import Foundation
import NetIR
import XCTest
@testable import Search

/// The language-model path against the real local model server of scripts/llm-server (llama.cpp with a small code
/// model), not a stand-in: one mutation prompt over LLMatic's seed network must come back as a Python class.
/// Runs when a server is running (scripts/llm-server start); skipped with the reason otherwise. It never installs,
/// downloads or starts anything.
final class RealLLMServerTests: XCTestCase {
    func testMutationPromptGetsAPythonClassFromTheRealServer() async throws {
        let (server, startedHere) = try Self.serverOrSkip()
        XCTAssertFalse(startedHere)

        let input = TensorShape(channels: 1, height: 28, width: 28)
        let seed = NetworkCodec.pytorch(input: input).emit(try BuiltinNetwork.initial.graph(input: input, classes: 10))
        // 1024 tokens are ample for the seed network plus one layer; a cold 2-core machine answers in well under
        // the timeout (the 0.5B model writes ~10-25 tokens/s there).
        let config = LLMConfig(baseURL: server.url, model: server.model, timeoutSeconds: 300, retries: 1,
                               concurrency: 1, maxTokens: 1024)
        let mutator = LLMMutator(client: LLMClient(config: config), prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        let output = try await mutator.generate(MutationRequest(operation: .mutation(.addConvolution), parents: [seed],
                                                                temperature: 0.2, seed: 1))
        let lines = output.source.split(separator: "\n").map(String.init)
        let classLine = lines.first { $0.hasPrefix("class ") }
        XCTAssertNotNil(classLine, "no top-level class in the extracted code:\n\(output.source)")
        if let classLine {
            // `class NAME(BASE):`: a Python class statement, not prose that happens to start with "class".
            XCTAssertNotNil(classLine.range(of: #"^class [A-Za-z_][A-Za-z0-9_]*\s*(\([^)]*\))?\s*:"#, options: .regularExpression),
                            classLine)
        }
        XCTAssert(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("def forward(") },
                  "the class has no forward():\n\(output.source)")
        XCTAssert(output.prompt.contains("self.conv"), "the prompt did not carry the seed network")
    }

    /// The yield harness (`llmatic llm-yield`) on one focused prompt: the real reply is judged (new, same as its
    /// parent or invalid, with the error), never lost as an endpoint failure.
    func testTheYieldHarnessJudgesARealReply() async throws {
        let (server, _) = try Self.serverOrSkip()
        let input = TensorShape(channels: 1, height: 28, width: 28)
        let seed = NetworkCodec.pytorch(input: input).emit(try BuiltinNetwork.initial.graph(input: input, classes: 10))
        var config = LLMConfig(baseURL: server.url, model: server.model, timeoutSeconds: 300, retries: 1, concurrency: 1,
                               maxTokens: LLMConfig.smallModelMaxTokens)
        config.temperatureScale = LLMConfig.smallModelTemperatureScale
        let harness = ReplyYield(mutator: LLMMutator(client: LLMClient(config: config), prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10)),
                                 checker: CandidateChecker(codec: .pytorch(input: input), classes: 10, limits: SearchLimits()),
                                 input: input)
        let trial = await harness.trial(YieldPrompt(operation: .mutation(.addNormalization), parents: [seed],
                                                    parentLabel: "initial", temperature: 0.6, seed: 1))
        XCTAssertNotEqual(trial.outcome, .noReply, trial.error ?? "")
        XCTAssertGreaterThanOrEqual(trial.replies, 1)
        XCTAssert(trial.prompt?.contains("Task: Add a new layer self.bn_new = nn.BatchNorm2d(1)") == true, trial.prompt ?? "")
        if trial.outcome == .invalid { XCTAssertNotNil(trial.error) }
    }

    /// The running server, else a skip that says why. (Starting one from here when it is installed hung twice
    /// under XCTest on this machine, the started server never answering the request; left out until understood.)
    static func serverOrSkip() throws -> (LocalLLMServer, startedHere: Bool) {
        do { return (try LocalLLMServer.current(), false) } catch {
            throw XCTSkip("no real model server is running (\(error)); scripts/llm-server start installs and starts one")
        }
    }
}
