import Data
import Engine
import Train

/// How the final network is trained from scratch: what a careful user would write for a small image
/// classifier. Label smoothing 0.1, weight decay 5e-4, SGD with Nesterov momentum, cosine schedule with 5%
/// warm-up, and random crop (padding 2) plus horizontal flip only when at least `augmentationMinEpochs`
/// epochs fit (augmentation slows convergence: with fewer epochs it costs more than it gives).
public struct FinalRecipe: Sendable, Equatable {
    public static let labelSmoothing: Float = 0.1
    public static let weightDecay: Float = 5e-4
    public static let warmupFraction = 0.05
    public static let augmentationMinEpochs = 15
    public static let cropPadding = 2
    /// Share of the predicted time actually planned, against throughput drift and evaluation overhead.
    public static let safety = 0.85
    /// Evaluating is about this many times faster per image than a training step (no backward pass).
    public static let evaluationSpeedup = 2.5
    public static let maxEpochs = 200

    public var epochs: Int
    public var augment: Bool

    /// Epochs that fit in `seconds` at `imagesPerSecond` (measured training throughput), each epoch training on
    /// `trainImages` and validating on `validationImages`. 0 when not even one fits.
    public static func fitEpochs(seconds: Double, imagesPerSecond: Double, trainImages: Int, validationImages: Int) -> Int {
        guard seconds > 0, imagesPerSecond > 0, trainImages > 0 else { return 0 }
        let perEpoch = Double(trainImages) / imagesPerSecond
            + Double(validationImages) / (imagesPerSecond * evaluationSpeedup)
        let n = Int((seconds * safety / perEpoch).rounded(.down))
        return min(max(n, 0), maxEpochs)
    }

    /// The recipe for a time budget.
    public static func fitted(seconds: Double, imagesPerSecond: Double, trainImages: Int, validationImages: Int) -> FinalRecipe {
        let e = fitEpochs(seconds: seconds, imagesPerSecond: imagesPerSecond, trainImages: trainImages, validationImages: validationImages)
        return FinalRecipe(epochs: e, augment: e >= augmentationMinEpochs)
    }

    /// Train's configuration for this recipe (validation split made by the caller: fraction 0).
    public func trainingConfig(batchSize: Int, learningRate: Double, seed: UInt64) -> TrainingConfig {
        TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                       optimizer: .sgd(momentum: 0.9, nesterov: true, weightDecay: Self.weightDecay),
                       schedule: LearningRateSchedule(.cosine, warmupFraction: Self.warmupFraction),
                       labelSmoothing: Self.labelSmoothing, seed: seed, validationFraction: 0,
                       augmentation: augment ? Augmentation(cropPadding: Self.cropPadding, horizontalFlip: true) : .none)
    }
}
