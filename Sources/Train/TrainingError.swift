import Data
import Engine
import NetIR

/// Why a training run stopped. Every case says what to fix; none is silently skipped.
public enum TrainingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The loss became NaN or infinite. `step` is the optimizer step (1-based) whose metrics showed it; with
    /// `metricsEvery = N` the first bad step lies in the N steps up to and including it.
    case diverged(step: Int, loss: Double)
    case invalidConfig(setting: String, message: String)
    /// The network's layers do not fit together (the error names the layer).
    case network(NetworkError)
    /// The plan cannot be made (bad plan options).
    case plan(String)
    /// Training at this batch size would not fit in the memory `MemoryBudget` allows.
    case outOfMemory(String)
    /// The backend could not load or run the plan.
    case backend(BackendFailure)
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
        case .network(let error):
            return error.description
        case .plan(let message), .outOfMemory(let message):
            return message
        case .backend(let failure):
            return failure.description
        case .dataMismatch(let message):
            return message
        case .datasetTooSmall(let images, let batchSize):
            return "the training set has \(images) images, fewer than one batch of \(batchSize); lower the batch size"
        }
    }
}
