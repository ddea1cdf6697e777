/// Mutation and crossover by a language model: LLMatic's own operator.
public struct LLMMutator: Mutator {
    public let client: LLMClient
    public let prompt: LLMPrompt

    public init(client: LLMClient, prompt: LLMPrompt) { self.client = client; self.prompt = prompt }

    public var name: String { "llm \(client.config.model) @ \(client.config.baseURL)" }

    public func generate(_ request: MutationRequest) async throws(MutatorError) -> MutationOutput {
        let sent: String
        let reply: String
        switch client.config.api {
        case .chat:
            let messages = prompt.chatMessages(for: request.operation, parents: request.parents)
            let system = messages.first { $0.role == "system" }?.content
            let user = messages.last?.content ?? ""
            sent = "[system]\n\(system ?? "")\n\n[user]\n\(user)"
            reply = try await client.complete(system: system, user: user, temperature: request.temperature, seed: request.seed)
        case .completions:
            sent = prompt.body(for: request.operation, parents: request.parents)
            reply = try await client.complete(system: nil, user: sent, temperature: request.temperature, seed: request.seed)
        }
        guard let code = CodeExtraction.extract(from: reply) else {
            throw .noCode("\(reply.count) characters, none of them a Python class")
        }
        return MutationOutput(source: code, prompt: sent, note: "\(request.operation) by \(client.config.model)")
    }
}
