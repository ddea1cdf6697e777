import Data
import Engine

/// Everything that decides a training run besides the network and the data.
public struct TrainingConfig: Sendable, Equatable {
    /// Passes over the training set.
    public var epochs: Int
    public var batchSize: Int
    /// Batch size of evaluation; nil reuses the training plan (its eval program), so no second copy of the
    /// network sits in memory and no parameters are copied before evaluating.
    public var evalBatchSize: Int?
    /// Peak learning rate; the schedule scales it per step.
    public var learningRate: Double
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var labelSmoothing: Float
    /// Seeds parameter initialisation, shuffling, augmentation and dropout.
    public var seed: UInt64
    /// Share of the training set held out for validation (the search's fitness); 0 evaluates on the test set.
    public var validationFraction: Double
    public var augmentation: Augmentation
    /// Stops after this many optimizer steps even if epochs remain (the schedule spans the capped run).
    public var maxSteps: Int?
    /// Seconds the whole `train` call may take (steps and the evaluations inside it). The schedule then runs
    /// on whichever is further along, steps or time: the learning rate is the schedule's at
    /// max(step, elapsed / timeLimit x total steps), and training stops when that reaches the end. A slow
    /// machine thus still anneals to the end of its curve inside the limit (its run is then no longer
    /// reproducible step for step); a fast one finishes its steps early, exactly as without a limit.
    public var timeLimit: Double?
    /// Evaluate after every this many epochs; 0 evaluates only once, at the end.
    public var evaluateEveryEpochs: Int
    /// Loss and accuracy are read from the device every this many steps (and at each epoch end); reads are
    /// host syncs, so a step never waits for one. Divergence is noticed at these reads.
    public var metricsEvery: Int
    /// Batches the loader prepares ahead.
    public var prefetch: Int
    /// Keep the training set on the device and build batches there when the backend can (no per-step image
    /// upload); otherwise, or when false, batches come from the host loader. Augmentation then draws
    /// counter-based choices, so augmented runs differ between the two paths (unaugmented ones do not).
    public var residentData: Bool

    public init(epochs: Int = 1, batchSize: Int = 128, evalBatchSize: Int? = nil, learningRate: Double = 0.05,
                optimizer: OptimizerConfig = TrainingConfig.defaultOptimizer, schedule: LearningRateSchedule = .cosine,
                labelSmoothing: Float = 0, seed: UInt64 = 0, validationFraction: Double = 0,
                augmentation: Augmentation = .none, maxSteps: Int? = nil, evaluateEveryEpochs: Int = 0,
                metricsEvery: Int = 50, prefetch: Int = 4, residentData: Bool = true) {
        self.epochs = epochs; self.batchSize = batchSize; self.evalBatchSize = evalBatchSize
        self.learningRate = learningRate; self.optimizer = optimizer; self.schedule = schedule
        self.labelSmoothing = labelSmoothing; self.seed = seed; self.validationFraction = validationFraction
        self.augmentation = augmentation; self.maxSteps = maxSteps; self.evaluateEveryEpochs = evaluateEveryEpochs
        self.metricsEvery = metricsEvery; self.prefetch = prefetch; self.residentData = residentData
    }

    /// SGD with Nesterov momentum 0.9: with the cosine schedule and lr 0.05 it trains the built-in networks
    /// well in a couple of epochs (measured on Fashion-MNIST, see README).
    public static let defaultOptimizer = OptimizerConfig.sgd(momentum: 0.9, nesterov: true, weightDecay: 0)

    /// Upper bounds on counts a user gives. Train and Data build with -Ounchecked, so products such as
    /// epochs x steps per epoch or batch x elements per image must be kept from wrapping where they enter;
    /// these bounds are far above any real run and leave every such product well inside an Int.
    public static let maxEpochs = 1_000_000
    public static let maxSteps = 1 << 40
    public static let maxBatchSize = 1 << 24

    /// Checks the values a user can get wrong; names the setting.
    public func validate() throws(TrainingError) {
        func bad(_ name: String, _ message: String) -> TrainingError { .invalidConfig(setting: name, message: message) }
        guard epochs >= 0, epochs <= Self.maxEpochs else { throw bad("epochs", "must be in 0...\(Self.maxEpochs), got \(epochs)") }
        guard batchSize >= 1, batchSize <= Self.maxBatchSize else {
            throw bad("batch size", "must be in 1...\(Self.maxBatchSize), got \(batchSize)")
        }
        if let e = evalBatchSize, e < 1 || e > Self.maxBatchSize {
            throw bad("eval batch size", "must be in 1...\(Self.maxBatchSize), got \(e)")
        }
        if let m = maxSteps, m > Self.maxSteps { throw bad("max steps", "must be at most \(Self.maxSteps), got \(m)") }
        guard learningRate.isFinite, learningRate >= 0 else { throw bad("learning rate", "must be finite and >= 0, got \(learningRate)") }
        guard labelSmoothing >= 0, labelSmoothing < 1 else { throw bad("label smoothing", "must be in [0, 1), got \(labelSmoothing)") }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw bad("validation fraction", "must be in [0, 1), got \(validationFraction)")
        }
        if let m = maxSteps, m < 0 { throw bad("max steps", "must be 0 or more, got \(m)") }
        if let t = timeLimit, !(t.isFinite && t > 0) { throw bad("time limit", "must be finite and > 0 seconds, got \(t)") }
        guard evaluateEveryEpochs >= 0 else { throw bad("evaluate every", "must be 0 or more epochs") }
        guard metricsEvery >= 1 else { throw bad("metrics every", "must be at least 1 step, got \(metricsEvery)") }
        guard prefetch >= 1 else { throw bad("prefetch", "must be at least 1, got \(prefetch)") }
        switch optimizer {
        case .sgd(let momentum, let nesterov, let wd):
            guard momentum >= 0, momentum < 1 else { throw bad("momentum", "must be in [0, 1), got \(momentum)") }
            guard !nesterov || momentum > 0 else { throw bad("nesterov", "needs a momentum above 0") }
            guard wd >= 0 else { throw bad("weight decay", "must be >= 0, got \(wd)") }
        case .adam(let b1, let b2, let eps, let wd, _):
            guard b1 >= 0, b1 < 1, b2 >= 0, b2 < 1 else { throw bad("adam betas", "must be in [0, 1), got \(b1), \(b2)") }
            guard eps > 0 else { throw bad("adam eps", "must be positive, got \(eps)") }
            guard wd >= 0 else { throw bad("weight decay", "must be >= 0, got \(wd)") }
        }
    }
}
