import Foundation
import NetIR

/// Size and cost of a candidate, as logged.
public struct CostSummary: Codable, Sendable, Hashable {
    public var parameters: Int
    public var flops: Int
    public var depth: Int
    public var width: Int
    public var activations: Int

    public init(_ c: NetworkCost) {
        parameters = c.parameters; flops = c.flops; depth = c.depth; width = c.width; activations = c.activations
    }

    public init(parameters: Int, flops: Int, depth: Int, width: Int, activations: Int) {
        self.parameters = parameters; self.flops = flops; self.depth = depth; self.width = width; self.activations = activations
    }

    public var depthWidthRatio: Double { width > 0 ? Double(depth) / Double(width) : 0 }
}

/// One candidate, start to end: the `candidate` line of events.jsonl and the body of its meta.json.
public struct CandidateRecord: Codable, Sendable {
    public var type = "candidate"
    public var id: Int
    public var generation: Int
    public var operation: Variation
    public var parents: [Int]
    /// Sampling temperature the child was made at.
    public var temperature: Double
    /// What the mutator said it did.
    public var note: String?
    public var failure: CandidateFailure?
    public var metrics: CandidateMetrics?
    public var cost: CostSummary?
    /// MPI rank and device that trained the child (cluster runs only; `mpirun -np N llmatic search`).
    public var rank: Int?
    public var device: String?
    /// Normalised network descriptor (depth/width, FLOPs).
    public var descriptor: [Double]?
    public var fitness: Double?
    /// Set when the record is applied: what the archives did with it.
    public var network: InsertionOutcome?
    public var prompt: InsertionOutcome?
    /// Temperature stored in the prompt archive (after the +-0.05 improvement rule).
    public var promptTemperature: Double?
    /// `Graph.structuralHash` of the network that was checked (nil when it never passed the checks).
    public var structure: String?
    /// Input sizes set without the model before training (`fc1 = Linear(in_features=512 -> 128)`).
    public var repairs: [String]?
    /// The model's repair round, when one was needed: `fixed` or `failed`.
    public var repairRound: String?
    /// The second round for a model child that repeated its parent (`revisionRound`): `changed`, `unchanged` or
    /// `failed`. A child has a repair round or a revision, never both.
    public var revision: String?
    /// What the language model spent on this child (nil for rule children).
    public var llm: LLMUsage?
    /// Why the rule mutator made this child instead of the language model.
    public var fallback: String?
    public var seconds: Double
    public var time: String

    public init(id: Int, generation: Int, operation: Variation, parents: [Int], temperature: Double) {
        self.id = id; self.generation = generation; self.operation = operation; self.parents = parents
        self.temperature = temperature; seconds = 0; time = Self.now()
    }

    public var succeeded: Bool { failure == nil && metrics != nil }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date())
    }
}

/// The `generation` line of events.jsonl, written (and fsynced) when a generation's children are all in.
public struct GenerationRecord: Codable, Sendable {
    public var type = "generation"
    public var generation: Int
    public var evaluations: Int
    public var failures: Int
    public var coverage: Double
    public var bestFitness: Double?
    public var bestAccuracy: Double?
    public var time: String
}

/// The `start` line: one per launch, so a resumed run shows where it picked up.
public struct StartRecord: Codable, Sendable {
    public var type = "start"
    public var resumed: Bool
    public var evaluations: Int
    public var mutator: String
    public var devices: [String]
    public var time: String
}

/// Any line of events.jsonl.
public enum RunEvent: Decodable, Sendable {
    case candidate(CandidateRecord)
    case generation(GenerationRecord)
    case start(StartRecord)
    case other

    enum Key: String, CodingKey { case type }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .type)
        switch type {
        case "candidate": self = .candidate(try CandidateRecord(from: decoder))
        case "generation": self = .generation(try GenerationRecord(from: decoder))
        case "start": self = .start(try StartRecord(from: decoder))
        default: self = .other
        }
    }
}
