import Foundation

/// Mutation and crossover by a language model: LLMatic's own operator.
public struct LLMMutator: Mutator, RepairingMutator {
    public let client: LLMClient
    public let prompt: LLMPrompt

    public init(client: LLMClient, prompt: LLMPrompt) { self.client = client; self.prompt = prompt }

    public var name: String { "llm \(client.config.model) @ \(client.config.baseURL)" }

    public var fallbackDeadline: Double? { client.config.childDeadline }

    public func generate(_ request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        let messages = prompt.chatMessages(for: request.operation, parents: request.parents, example: request.example,
                                           seed: request.seed)
        return try await send(messages, completion: prompt.body(for: request.operation, parents: request.parents),
                              temperature: request.temperature, seed: request.seed,
                              note: "\(request.operation) by \(client.config.model)")
    }

    /// The repair round: the child's own code and its located error go back to the model, once.
    public func repair(_ source: String, error: String, request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        let messages = prompt.repairMessages(source: source, error: error)
        return try await send(messages, completion: prompt.repairBody(source: source, error: error),
                              temperature: LLMPrompt.repairTemperature, seed: request.seed &+ 1,
                              note: "repair of \(request.operation) by \(client.config.model)")
    }

    /// The second round for a child that repeats its parent: the reply goes back with the instruction, asking for
    /// the change itself (once, instead of an error repair: a child gets one second round).
    public func reviseUnchanged(_ source: String, request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        let messages = prompt.unchangedMessages(source: source, operation: request.operation)
        return try await send(messages, completion: prompt.unchangedBody(source: source, operation: request.operation),
                              temperature: request.temperature, seed: request.seed &+ 2,
                              note: "revision of an unchanged \(request.operation) by \(client.config.model)")
    }

    private func send(_ messages: [(role: String, content: String)], completion: String, temperature: Double,
                      seed: UInt64, note: String) async throws(MutatorError) -> MutationOutput {
        let sent: String
        let reply: LLMReply
        switch client.config.api {
        case .chat:
            let system = messages.first { $0.role == "system" }?.content
            let user = messages.last?.content ?? ""
            sent = "[system]\n\(system ?? "")\n\n[user]\n\(user)"
            reply = try await client.exchange(system: system, user: user, temperature: temperature, seed: seed)
        case .completions:
            sent = completion
            reply = try await client.exchange(system: nil, user: sent, temperature: temperature, seed: seed)
        }
        guard let code = CodeExtraction.extract(from: reply.text) else {
            throw .noCode("\(reply.text.count) characters, none of them a Python class")
        }
        return MutationOutput(source: code, prompt: sent, note: note, usage: reply.usage)
    }
}

/// A mutator that can be shown its child's error and asked to fix it (the language model; rules never need to).
public protocol RepairingMutator: Mutator {
    /// Seconds a child may wait for this mutator before the rules make it (nil: no deadline).
    var fallbackDeadline: Double? { get }
    func repair(_ source: String, error: String, request: MutationRequest) async throws(MutatorError) -> MutationOutput
    /// The child repeated its parent: ask once more for the change the request asked for.
    func reviseUnchanged(_ source: String, request: MutationRequest) async throws(MutatorError) -> MutationOutput
}
