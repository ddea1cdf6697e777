import Foundation

/// Where and how to reach an OpenAI-compatible server (llama.cpp, vLLM, Ollama, hosted APIs).
public struct LLMConfig: Codable, Sendable, Hashable {
    public enum API: String, Codable, Sendable { case chat, completions }

    /// Base URL up to and including `/v1` (a trailing `/v1` is added when missing).
    public var baseURL: String
    public var model: String
    public var api: API
    /// Name of the environment variable holding the API key (never the key itself: config.json is shared).
    public var apiKeyVariable: String
    public var timeoutSeconds: Double
    public var retries: Int
    /// First backoff delay; doubles per retry, with +-50% jitter, capped at `maxBackoffSeconds`.
    public var backoffSeconds: Double
    public var maxBackoffSeconds: Double
    public var concurrency: Int
    public var maxTokens: Int
    /// Replies larger than this are abandoned mid-transfer.
    public var maxReplyBytes: Int
    /// Longest a child waits for the model, retries included, before the rule mutator makes it instead
    /// (nil: `timeoutSeconds` plus 10 s, so one slow reply degrades but a retry after a dropped connection fits).
    public var childDeadlineSeconds: Double?

    public var childDeadline: Double { childDeadlineSeconds ?? timeoutSeconds + 10 }
    /// The sampling temperature sent is the prompt archive's temperature (LLMatic's 0.1-1.0) times this (nil: 1).
    /// Small local models write far fewer valid networks at LLMatic's temperatures: Qwen2.5-Coder-0.5B passed
    /// `llmatic check` with 3 of 12 replies at the search's 0.5-0.7 and with 8 of 12 at 0.2.
    public var temperatureScale: Double?
    /// `search --llm`'s default scale: LLMatic's starting temperature 0.6 becomes 0.21, next to the 0.2 measured.
    public static let smallModelTemperatureScale = 0.35
    /// `LLMPrompt.Style` of the mutation prompts (nil: focused); kept in config.json so a resume asks alike.
    public var promptStyle: String?
    /// Token limit per reply unless set.
    public static let defaultMaxTokens = 2048
    /// `search --llm`'s limit (the local server's small models): the longest valid reply measured by
    /// `llmatic llm-yield` was 364 tokens, and a reply that loops runs to the limit (2048 tokens took 4.5
    /// minutes on one server thread), holding a slot the whole time.
    public static let smallModelMaxTokens = 1024

    /// What is sent for an archive temperature `t`.
    public func samplingTemperature(_ t: Double) -> Double { t * (temperatureScale ?? 1) }

    public init(baseURL: String, model: String, api: API = .chat, apiKeyVariable: String = "OPENAI_API_KEY",
                timeoutSeconds: Double = 120, retries: Int = 4, backoffSeconds: Double = 1, maxBackoffSeconds: Double = 30,
                concurrency: Int = 2, maxTokens: Int = LLMConfig.defaultMaxTokens, maxReplyBytes: Int = 4 << 20,
                childDeadlineSeconds: Double? = nil) {
        self.childDeadlineSeconds = childDeadlineSeconds
        self.baseURL = baseURL; self.model = model; self.api = api; self.apiKeyVariable = apiKeyVariable
        self.timeoutSeconds = timeoutSeconds; self.retries = retries; self.backoffSeconds = backoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds; self.concurrency = concurrency; self.maxTokens = maxTokens
        self.maxReplyBytes = maxReplyBytes
    }

    /// `.../v1/chat/completions` or `.../v1/completions`.
    public var endpoint: URL? {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return URL(string: base + (api == .chat ? "/chat/completions" : "/completions"))
    }
}

/// Sends prompts, retries what is worth retrying, and returns the reply text.
public final class LLMClient: Sendable {
    public let config: LLMConfig
    private let limiter: AsyncLimiter
    private let apiKey: String?

    public init(config: LLMConfig, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        limiter = AsyncLimiter(limit: config.concurrency)
        apiKey = environment[config.apiKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The reply text for a chat exchange or a completion prompt, per `config.api`.
    public func complete(system: String?, user: String, temperature: Double, seed: UInt64) async throws(MutatorError) -> String {
        try await exchange(system: system, user: user, temperature: temperature, seed: seed).text
    }

    /// `complete`, with the tokens the server reports and the seconds from getting a request slot to the reply
    /// (retries and backoff included, the wait for a slot not).
    public func exchange(system: String?, user: String, temperature: Double, seed: UInt64) async throws(MutatorError) -> LLMReply {
        guard let url = config.endpoint else { throw .transport("invalid base URL '\(config.baseURL)'") }
        let body = try requestBody(system: system, user: user, temperature: temperature)
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let apiKey { headers["Authorization"] = "Bearer \(apiKey)" }
        let config = self.config
        let sentHeaders = headers
        return try await limiter.run { () async throws(MutatorError) -> LLMReply in
            let clock = Date()
            var rng = SearchRandom(seed: seed, 0x11A)
            var attempt = 0
            while true {
                let outcome = await HTTPFetch.post(url, headers: sentHeaders, body: body, timeout: config.timeoutSeconds,
                                                   maxBytes: config.maxReplyBytes)
                let failure: MutatorError
                var wait: Double? = nil
                switch outcome {
                case .success(let reply) where (200..<300).contains(reply.status):
                    var usage = Self.usage(reply.body)
                    usage.seconds = Date().timeIntervalSince(clock)
                    return LLMReply(text: try Self.replyText(reply.body, api: config.api), usage: usage)
                case .success(let reply):
                    failure = .http(status: reply.status, body: Self.snippet(reply.body))
                    guard reply.status == 429 || reply.status >= 500 else { throw failure }
                    wait = reply.retryAfter
                case .failure(.timeout):
                    throw .timeout(seconds: config.timeoutSeconds)
                case .failure(.tooLarge(let n)):
                    throw .badReply("reply larger than \(n) bytes")
                case .failure(.connection(let m)):
                    failure = .transport(m)
                }
                // A child past its deadline is cancelled: no more attempts for it.
                guard attempt < config.retries, !Task.isCancelled else { throw failure }
                let backoff = min(config.maxBackoffSeconds, config.backoffSeconds * pow(2, Double(attempt)))
                let delay = min(config.maxBackoffSeconds, max(wait ?? 0, backoff * rng.uniform(0.5, 1.5)))
                try? await Task.sleep(nanoseconds: UInt64(max(0, delay) * 1e9))
                attempt += 1
            }
        }
    }

    func requestBody(system: String?, user: String, temperature: Double) throws(MutatorError) -> Data {
        var object: [String: Any] = ["model": config.model, "temperature": config.samplingTemperature(temperature), "max_tokens": config.maxTokens]
        switch config.api {
        case .chat:
            var messages: [[String: String]] = []
            if let system { messages.append(["role": "system", "content": system]) }
            messages.append(["role": "user", "content": user])
            object["messages"] = messages
        case .completions:
            object["prompt"] = user
        }
        do { return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) } catch {
            throw .badReply("could not encode the request: \(error)")
        }
    }

    /// `choices[0].message.content` (chat) or `choices[0].text` (completions).
    static func replyText(_ data: Data, api: LLMConfig.API) throws(MutatorError) -> String {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .badReply("not a JSON object: \(snippet(data))")
        }
        guard let choices = json["choices"] as? [[String: Any]], let first = choices.first else {
            throw .badReply("no choices: \(snippet(data))")
        }
        if let message = first["message"] as? [String: Any], let content = message["content"] as? String { return content }
        if let text = first["text"] as? String { return text }
        throw .badReply("choice without text (\(api.rawValue) API): \(snippet(data))")
    }

    /// `usage.prompt_tokens` and `usage.completion_tokens` when present (zeros otherwise); one reply.
    static func usage(_ data: Data) -> LLMUsage {
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        let usage = json?["usage"] as? [String: Any]
        func count(_ key: String) -> Int { (usage?[key] as? NSNumber)?.intValue ?? 0 }
        return LLMUsage(replies: 1, promptTokens: count("prompt_tokens"), completionTokens: count("completion_tokens"))
    }

    static func snippet(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        return data.count > 300 ? text + "..." : text
    }
}
