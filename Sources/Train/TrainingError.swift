import Data
import Engine

/// Why a training run stopped. Every case says what to fix; none is silently skipped.
public enum TrainingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The loss became NaN or infinite. `step` is the optimizer step (1-based) whose metrics showed it; with
    /// `metricsEvery = N` the first bad step lies in the N steps up to and including it.
    case diverged(step: Int, loss: Double)
    case invalidConfig(setting: String, message: String)
    /// The network cannot be compiled (shape error naming the layer, bad options).
    case plan(String)
    /// Network and data disagree (input shape, class count).
    case dataMismatch(String)
    /// Fewer training images than one batch: with whole batches only, an epoch would have no steps.
    case datasetTooSmall(images: Int, batchSize: Int)

    public var description: String {
        switch self {
        case .diverged(let step, let loss):
            return "training diverged at step \(step): loss is \(loss) (lower the learning rate, add warm-up, or use BatchNorm)"
        case .invalidConfig(let setting, let message):
            return "invalid \(setting): \(message)"
        case .plan(let message):
            return message
        case .dataMismatch(let message):
            return message
        case .datasetTooSmall(let images, let batchSize):
            return "the training set has \(images) images, fewer than one batch of \(batchSize); lower the batch size"
        }
    }
}
