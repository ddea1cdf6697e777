/// What to make: a mutation of one parent or a crossover of two, at a sampling temperature.
public struct MutationRequest: Sendable {
    public var operation: Variation
    /// Parent sources: one for a mutation, two for a crossover.
    public var parents: [String]
    public var temperature: Double
    /// Seeds the rule mutator's choices (and is ignored by a language model).
    public var seed: UInt64
    /// A valid network from the archive, shown to a language model as an example (EvoPrompting); rules ignore it.
    public var example: String?

    public init(operation: Variation, parents: [String], temperature: Double, seed: UInt64, example: String? = nil) {
        self.operation = operation; self.parents = parents; self.temperature = temperature; self.seed = seed
        self.example = example
    }
}

/// A child's source and how it came about.
public struct MutationOutput: Sendable {
    public var source: String
    /// The exact prompt sent (or, for rules, the instruction and the edit made).
    public var prompt: String
    /// What the mutator did, in a few words, for the log (`inserted conv 3x3 after relu1`).
    public var note: String
    /// The language model's exchanges for this child (nil for rules).
    public var usage: LLMUsage?

    public init(source: String, prompt: String, note: String, usage: LLMUsage? = nil) {
        self.source = source; self.prompt = prompt; self.note = note; self.usage = usage
    }
}

/// Why no child source came back. Every case is recorded against the candidate; none stops the run.
public enum MutatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reply held no recognisable code.
    case noCode(String)
    /// The endpoint answered with an HTTP error after all retries.
    case http(status: Int, body: String)
    /// The connection failed (refused, reset, dropped) after all retries.
    case transport(String)
    /// No complete reply within the time limit.
    case timeout(seconds: Double)
    /// The reply was not the JSON the API promises, or was too large.
    case badReply(String)
    /// The rule mutator cannot make this edit on this parent (e.g. a recurrent layer: the IR has none).
    case notApplicable(String)
    /// A parent's source could not be read back (should not happen for archive members).
    case invalidParent(String)

    public var description: String {
        switch self {
        case .noCode(let m): return "no code in reply: \(m)"
        case .http(let s, let b): return "HTTP \(s): \(b)"
        case .transport(let m): return "connection failed: \(m)"
        case .timeout(let s): return "no reply within \(s) s"
        case .badReply(let m): return "malformed reply: \(m)"
        case .notApplicable(let m): return "edit not applicable: \(m)"
        case .invalidParent(let m): return "parent unreadable: \(m)"
        }
    }
}

/// Makes child networks as PyTorch source. Implementations: `LLMMutator` (a language model behind an
/// OpenAI-compatible endpoint) and `RuleMutator` (seeded edits of the IR, emitted as source).
public protocol Mutator: Sendable {
    /// A label for config.json and the report (`rules`, `llm qwen2.5-coder @ http://...`).
    var name: String { get }
    func generate(_ request: MutationRequest) async throws(MutatorError) -> MutationOutput
}
