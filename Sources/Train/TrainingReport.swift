/// A snapshot of a running training, sent at every metrics read.
public struct TrainingProgress: Sendable, Equatable {
    /// 1-based epoch the last step belonged to, and the planned number of epochs.
    public var epoch: Int
    public var epochs: Int
    /// Optimizer steps done (this run and any resumed ones) and planned.
    public var step: Int
    public var totalSteps: Int
    /// Training images per second since the start, evaluation time excluded.
    public var imagesPerSecond: Double
    /// Mean loss and accuracy over the steps since the previous report.
    public var loss: Double
    public var accuracy: Double
    public var learningRate: Double
    /// Seconds since the run started, and the estimated seconds of training left (evaluations excluded).
    public var elapsed: Double
    public var eta: Double
    /// True for the report that closes an epoch.
    public var endOfEpoch: Bool
}

/// Loss and accuracy of the network over a whole data set, in eval mode.
public struct EvaluationResult: Sendable, Equatable {
    /// `test` or `validation`.
    public var split: String
    public var loss: Double
    public var accuracy: Double
    public var samples: Int
    public var seconds: Double
}

/// What one epoch did (training metrics averaged over the epoch) and, if it was evaluated, the evaluation.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var evaluation: EvaluationResult?
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable, Equatable {
    /// Training loss/accuracy averaged over the last (possibly partial) epoch, in training mode.
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// The final evaluation (test set, or the validation split when one was held out); nil without a set.
    public var evaluation: EvaluationResult?
    public var history: [EpochRecord]
    /// Images per second of the training steps alone (no evaluation, no compile time).
    public var imagesPerSecond: Double
    /// Share of training time spent waiting for the data loader.
    public var loaderWaitFraction: Double
    /// True when the batches were built on the device from a resident copy of the data set (no loader).
    public var residentData: Bool
    /// Epochs completed, fractional when `maxSteps` stopped the run mid-epoch.
    public var epochs: Double
    public var steps: Int
    public var parameters: Int
    /// Forward FLOPs per sample (NetIR's count).
    public var flops: Int
    public var arenaBytes: Int
    /// Every region of the training plan on the device.
    public var deviceBytes: Int
    /// Wall time of the whole run, and its parts.
    public var seconds: Double
    public var trainSeconds: Double
    public var evaluationSeconds: Double
}
