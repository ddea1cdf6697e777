import NetCode
import NetIR
import Train

/// Why a candidate has no fitness. Recorded with the candidate; never stops the run.
public enum CandidateFailure: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The mutator produced no source (no code in the reply, endpoint errors, edit not applicable).
    case generation(String)
    /// The source is not a network we can read; `source` is NetCode's typed kind (syntax, unknown module, ...).
    case parse(String, source: SourceError.Kind? = nil)
    /// The network's layers do not fit together, or not the data's input and class count.
    case shape(String)
    /// Too many parameters, FLOPs or activations, or too much source.
    case limit(String)
    /// The loss became NaN or infinite.
    case divergence(String)
    /// Training would not (or did not) finish within the per-candidate time budget.
    case timeout(String)
    case outOfMemory(String)
    /// The device or the trainer failed for another reason.
    case backend(String)
    /// The network is not in the run's search space (NAS-Bench-201: another skeleton, a foreign operation, a
    /// cell the benchmark table lacks).
    case outsideSpace(String)

    public var kind: String {
        switch self {
        case .generation: return "generation"
        case .parse: return "parse"
        case .shape: return "shape"
        case .limit: return "limit"
        case .divergence: return "divergence"
        case .timeout: return "timeout"
        case .outOfMemory: return "out-of-memory"
        case .backend: return "backend"
        case .outsideSpace: return "outside-space"
        }
    }

    public var message: String {
        switch self {
        case .generation(let m), .parse(let m, _), .shape(let m), .limit(let m), .divergence(let m), .timeout(let m),
             .outOfMemory(let m), .backend(let m), .outsideSpace(let m):
            return m
        }
    }

    public var description: String { "\(kind): \(message)" }

    public init(kind: String, message: String) {
        switch kind {
        case "generation": self = .generation(message)
        case "parse": self = .parse(message)
        case "shape": self = .shape(message)
        case "limit": self = .limit(message)
        case "divergence": self = .divergence(message)
        case "timeout": self = .timeout(message)
        case "out-of-memory": self = .outOfMemory(message)
        case "outside-space": self = .outsideSpace(message)
        default: self = .backend(message)
        }
    }

    /// NetCode's kind of a parse failure, logged with it in the search events.
    public var sourceKind: SourceError.Kind? {
        if case .parse(_, let kind) = self { return kind }
        return nil
    }

    enum CodingKeys: String, CodingKey { case kind, message, source_kind }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(String.self, forKey: .kind), message: try c.decode(String.self, forKey: .message))
        if case .parse(let m, _) = self, let kind = try c.decodeIfPresent(SourceError.Kind.self, forKey: .source_kind) {
            self = .parse(m, source: kind)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(message, forKey: .message)
        try c.encodeIfPresent(sourceKind, forKey: .source_kind)
    }
}

/// One candidate to train and validate.
public struct EvaluationJob: Sendable {
    public var candidate: Int
    public var graph: Graph
    /// Safetensors files of the parents; a tensor is inherited from the first file holding the same name and shape.
    public var inheritFrom: [String]
    /// Where the trained weights go (PyTorch state_dict names); nil keeps none.
    public var weightsPath: String?

    public init(candidate: Int, graph: Graph, inheritFrom: [String] = [], weightsPath: String? = nil) {
        self.candidate = candidate; self.graph = graph; self.inheritFrom = inheritFrom; self.weightsPath = weightsPath
    }
}

/// What training and validation measured.
public struct CandidateMetrics: Sendable, Equatable, Codable {
    public var validationAccuracy: Double
    public var validationLoss: Double
    public var trainAccuracy: Double
    public var trainLoss: Double
    public var steps: Int
    public var epochs: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Tensors copied from the parents, of all the network's tensors.
    public var inheritedTensors: Int
    public var totalTensors: Int
    /// Set when a results table answered instead of training (NAS-Bench-201): the cell and its test accuracy.
    public var benchmark: BenchmarkLookup?

    public init(validationAccuracy: Double, validationLoss: Double, trainAccuracy: Double = .nan, trainLoss: Double = .nan,
                steps: Int = 0, epochs: Double = 0, seconds: Double = 0, imagesPerSecond: Double = 0,
                inheritedTensors: Int = 0, totalTensors: Int = 0) {
        self.validationAccuracy = validationAccuracy; self.validationLoss = validationLoss
        self.trainAccuracy = trainAccuracy; self.trainLoss = trainLoss; self.steps = steps; self.epochs = epochs
        self.seconds = seconds; self.imagesPerSecond = imagesPerSecond; self.inheritedTensors = inheritedTensors
        self.totalTensors = totalTensors
    }
}

/// The MPI rank and the device name (as that rank lists it) a child trained on.
public struct Placement: Sendable, Equatable, Codable {
    public var rank: Int
    public var device: String
    public init(rank: Int, device: String) { self.rank = rank; self.device = device }
}

/// An evaluator that spreads children over machines (the MPI cluster's) and can say where one ran, trained or
/// failed; the engine records it with the candidate.
public protocol PlacingEvaluator: Evaluator {
    /// Where `candidate` was evaluated; asked once, after its evaluation returned.
    func placement(of candidate: Int) -> Placement?
}

/// Test-set accuracy of a trained network.
public struct TestMetrics: Sendable, Equatable, Codable {
    public var accuracy: Double
    public var loss: Double
    public var samples: Int
}

/// Trains and validates candidates. `evaluate` is synchronous and blocking: the worker pool calls it on the
/// device's own thread, one job per device at a time.
public protocol Evaluator: Sendable {
    /// One name per device; the pool runs one worker per entry.
    var deviceNames: [String] { get }
    func evaluate(_ job: EvaluationJob, device: Int) throws(CandidateFailure) -> CandidateMetrics
    /// Accuracy on the held-out test set of a network with the given weights (for the final report).
    func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics
    /// Trains a network further from the given weights for `epochs`, saves the result to `savingTo`, and
    /// returns its validation and test metrics (the final polish of the best network).
    func refine(_ graph: Graph, weightsPath: String, epochs: Int, savingTo: String, device: Int,
                progress: (@Sendable (TrainingProgress) -> Void)?) throws(CandidateFailure) -> (CandidateMetrics, TestMetrics)
}

extension Evaluator {
    public func refine(_ graph: Graph, weightsPath: String, epochs: Int, savingTo: String, device: Int,
                       progress: (@Sendable (TrainingProgress) -> Void)?) throws(CandidateFailure) -> (CandidateMetrics, TestMetrics) {
        throw .backend("this evaluator cannot train further")
    }
}
