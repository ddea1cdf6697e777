import Foundation

/// What a language model spent on one child: replies received, tokens (from the API's `usage` object, when the
/// server sends one) and wall-clock seconds in the exchanges, retries and backoff included.
public struct LLMUsage: Codable, Sendable, Hashable {
    public var replies: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double

    public init(replies: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0, seconds: Double = 0) {
        self.replies = replies; self.promptTokens = promptTokens; self.completionTokens = completionTokens
        self.seconds = seconds
    }

    public var tokens: Int { promptTokens + completionTokens }

    public static func + (a: LLMUsage, b: LLMUsage) -> LLMUsage {
        LLMUsage(replies: a.replies + b.replies, promptTokens: a.promptTokens + b.promptTokens,
                 completionTokens: a.completionTokens + b.completionTokens, seconds: a.seconds + b.seconds)
    }
}

/// One reply of the model: its text and what it cost.
public struct LLMReply: Sendable {
    public var text: String
    public var usage: LLMUsage
}
