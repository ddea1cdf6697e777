import Foundation
import NetIR
import XCTest
@testable import Search

/// The language-model path against the real local model server of scripts/llm-server (llama.cpp with a small code
/// model), not a stand-in: one mutation prompt over LLMatic's seed network must come back as a Python class.
/// Runs when a server is running, or when one is installed (its virtualenv and model already on this machine),
/// which the test then starts and stops; skipped otherwise. It never installs or downloads anything.
final class RealLLMServerTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testMutationPromptGetsAPythonClassFromTheRealServer() async throws {
        let (server, startedHere) = try Self.serverOrSkip()
        defer { if startedHere { _ = try? Self.script(["stop"]) } }

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

    /// The running server, else one started from what is installed (and so to be stopped), else a skip that says why.
    static func serverOrSkip() throws -> (LocalLLMServer, startedHere: Bool) {
        if let server = try? LocalLLMServer.current() { return (server, false) }
        let result = try script(["start"], environment: ["LLMATIC_LLM_NO_DOWNLOAD": "1"])
        guard result.status == 0 else {
            throw XCTSkip("no real model server: none is running and none is installed here (\(result.lastLine)); "
                          + "scripts/llm-server start installs and starts one")
        }
        return (try LocalLLMServer.current(), true)
    }

    static func script(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, lastLine: String) {
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("scripts/llm-server")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let last = text.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
        return (process.terminationStatus, last)
    }
}
