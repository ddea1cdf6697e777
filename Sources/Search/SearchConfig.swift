import Engine
import Train

/// How candidates are trained. Codable (config.json) and turned into Train's `TrainingConfig`.
public struct TrainingSettings: Codable, Sendable, Hashable {
    public var epochs: Int
    public var maxSteps: Int?
    public var batchSize: Int
    public var learningRate: Double
    /// Share of the training set held out as the validation split the fitness is measured on.
    public var validationFraction: Double
    /// Seconds one candidate may train (nil: no limit).
    public var timeBudget: Double?
    public var labelSmoothing: Float
    /// Share of each candidate's steps spent warming the learning rate up linearly. Children start from
    /// inherited weights next to freshly initialised layers; a cold start at the full rate often blows such
    /// mixtures up (measured: 1 in 2 conv-added children of an MLP went to chance accuracy without it).
    public var warmupFraction: Double

    public init(epochs: Int = 1, maxSteps: Int? = nil, batchSize: Int = 128, learningRate: Double = 0.05,
                validationFraction: Double = 0.1, timeBudget: Double? = nil, labelSmoothing: Float = 0,
                warmupFraction: Double = TrainingSettings.defaultWarmupFraction) {
        self.epochs = epochs; self.maxSteps = maxSteps; self.batchSize = batchSize; self.learningRate = learningRate
        self.validationFraction = validationFraction; self.timeBudget = timeBudget; self.labelSmoothing = labelSmoothing
        self.warmupFraction = warmupFraction
    }

    public static let defaultWarmupFraction = 0.1

    enum CodingKeys: String, CodingKey {
        case epochs, maxSteps, batchSize, learningRate, validationFraction, timeBudget, labelSmoothing, warmupFraction
    }

    /// Runs written before `warmupFraction` existed resume with the default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        timeBudget = try c.decodeIfPresent(Double.self, forKey: .timeBudget)
        labelSmoothing = try c.decode(Float.self, forKey: .labelSmoothing)
        warmupFraction = try c.decodeIfPresent(Double.self, forKey: .warmupFraction) ?? Self.defaultWarmupFraction
    }

    public func trainingConfig(seed: UInt64) -> TrainingConfig {
        TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                       schedule: LearningRateSchedule(.cosine, warmupFraction: warmupFraction), labelSmoothing: labelSmoothing,
                       seed: seed, validationFraction: validationFraction, maxSteps: maxSteps)
    }
}

/// Which mutator the run uses.
public struct MutatorSettings: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case rules, llm }
    public var kind: Kind
    public var llm: LLMConfig?

    public init(kind: Kind = .rules, llm: LLMConfig? = nil) { self.kind = kind; self.llm = llm }
}

/// Everything that defines a run; written to config.json and read back by `--resume`.
public struct SearchConfig: Codable, Sendable, Hashable {
    /// Data-set spec as `DatasetCatalog.load` takes it.
    public var data: String
    public var seed: UInt64
    /// Candidates to make in total, the seed network included (nil: no limit; then `generations` must be set).
    public var evaluations: Int?
    /// Generations after the seed (nil: no limit).
    public var generations: Int?
    /// Children per generation.
    public var batch: Int
    public var niches: Int
    public var promptNiches: Int
    /// Until the network archive holds this many networks, children are random mutations of the seed.
    public var initialNetworks: Int
    public var mutationProbability: Double
    /// Parents are drawn from this many fittest networks; prompts from this many most curious.
    public var selectionPool: Int
    public var fitness: FitnessMetric
    public var descriptors: DescriptorSpace
    public var limits: SearchLimits
    public var training: TrainingSettings
    /// A built-in network name (`initial`, `smallcnn`, `resnet8`) or the path of a Python file.
    public var seedNetwork: String
    public var mutator: MutatorSettings
    /// Input shape and class count of the data (filled in from the data set).
    public var input: [Int]
    public var classes: Int
    /// Seconds after which a launch starts no new generation (in-flight children finish); nil: no limit.
    public var timeLimit: Double?
    /// Epochs the best network trains further at the end, from its search weights (nil or 0: none).
    public var finalEpochs: Int?
    /// Seconds for the whole run, search plus final network (`RunTimeSplit`); nil: no run-time budget.
    public var runTime: Double?
    /// NAS-Bench-201 cells instead of free-form networks (nil: free-form; runs before it existed decode as nil).
    public var space: NB201SpaceSettings?
    /// How children are selected (`SearchAlgorithm`). Nil, as in every config.json written before the choice
    /// existed, is LLMatic's own algorithm, so old runs resume with the selection they started with.
    public var algorithm: SearchAlgorithm?
    /// Where the network archive's niches lie (`ReachableNiches`); nil, as in every config.json written before
    /// they were placed so, is CVT over the uniform box.
    public var nicheCentroids: [[Double]]?

    public init(data: String, seed: UInt64 = 0, evaluations: Int? = 50, generations: Int? = nil, batch: Int = 4,
                niches: Int = 100, promptNiches: Int = 100, initialNetworks: Int = 10, mutationProbability: Double = 0.85,
                selectionPool: Int = 3, fitness: FitnessMetric = .accuracy, descriptors: DescriptorSpace = DescriptorSpace(),
                limits: SearchLimits = SearchLimits(), training: TrainingSettings = TrainingSettings(),
                seedNetwork: String = "initial", mutator: MutatorSettings = MutatorSettings(), input: [Int] = [1, 28, 28],
                classes: Int = 10, algorithm: SearchAlgorithm = .standard) {
        self.data = data; self.seed = seed; self.evaluations = evaluations; self.generations = generations
        self.batch = batch; self.niches = niches; self.promptNiches = promptNiches; self.initialNetworks = initialNetworks
        self.mutationProbability = mutationProbability; self.selectionPool = selectionPool; self.fitness = fitness
        self.descriptors = descriptors; self.limits = limits; self.training = training; self.seedNetwork = seedNetwork
        self.mutator = mutator; self.input = input; self.classes = classes; self.algorithm = algorithm
    }

    /// The algorithm this run selects with.
    public var selection: SearchAlgorithm { algorithm ?? .llmatic }

    /// Problems a user can make on the command line, named.
    public func validate() throws(SearchError) {
        func bad(_ m: String) -> SearchError { .invalidConfig(m) }
        guard evaluations != nil || generations != nil else { throw bad("give --evaluations or --generations (or both)") }
        if let e = evaluations, e < 1 { throw bad("--evaluations must be at least 1") }
        if let g = generations, g < 0 { throw bad("--generations must be 0 or more") }
        guard batch >= 1 else { throw bad("--batch must be at least 1") }
        guard niches >= 1, promptNiches >= 1 else { throw bad("niche counts must be at least 1") }
        guard (0...1).contains(mutationProbability) else { throw bad("mutation probability must be in [0, 1]") }
        guard selectionPool >= 1 else { throw bad("selection pool must be at least 1") }
        guard training.epochs >= 0, training.batchSize >= 1 else { throw bad("epochs >= 0 and batch size >= 1") }
        guard training.validationFraction > 0, training.validationFraction < 1 else {
            throw bad("validation fraction must be in (0, 1): the fitness is measured on it")
        }
        try validateValues()   // every other setting's range: SearchConfigChecks.swift
    }
}

/// Why a search could not run or continue.
public enum SearchError: Error, Sendable, CustomStringConvertible {
    case invalidConfig(String)
    case seedFailed(CandidateFailure)
    case directory(RunDirectoryError)
    case data(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid search settings: \(m)"
        case .seedFailed(let f): return "the seed network cannot be used: \(f)"
        case .directory(let e): return "run directory: \(e)"
        case .data(let m): return m
        }
    }
}
