import Data
import Engine
import Train

/// How the final network is trained from scratch: what a careful user would write for a small image
/// classifier. Label smoothing 0.1, weight decay 5e-4, SGD with Nesterov momentum, cosine schedule with 5%
/// warm-up, and random crop (padding 2) plus horizontal flip only when at least `augmentationMinEpochs`
/// epochs fit (augmentation slows convergence: with fewer epochs it costs more than it gives) and the network
/// has at least `augmentationMinParametersPerImage` parameters per training image (a small network underfits
/// the augmented task: it loses more to the harder task than it gains against overfitting).
///
/// The run is bounded by its seconds (`TrainingConfig.timeLimit`) and planned `overPlan` times longer than the
/// measured throughput allows, so the clock, not the step count, ends it: the cosine follows the clock and
/// the learning rate is annealed where the time ends. A throughput that drifts thus neither overruns the run
/// nor leaves its end unused (measured: a run planned from a probe on a busy machine finished 75 epochs in
/// 239 of its 362 s when the machine freed up).
public struct FinalRecipe: Sendable, Equatable {
    public static let labelSmoothing: Float = 0.1
    public static let weightDecay: Float = 5e-4
    public static let warmupFraction = 0.05
    /// Measured on the network `scripts/run` seed 0 found (1.9 M parameters, Fashion-MNIST, 12 epochs, this
    /// recipe): 93.05% validation without augmentation (99.7% train: it overfits), 93.45% with it.
    public static let augmentationMinEpochs = 10
    /// Measured (Fashion-MNIST, 54,000 training images, 340 s each, 2-core AVX2 EPYC, `llmatic train` with this
    /// recipe, with and without crop+flip): three model runs' final networks, 9 K parameters (33 epochs) 91.55%
    /// validation without, 89.78% with; 63 K (33) 91.35% without (97.1% train), 89.83% with; 103 K (25) 92.88%
    /// without (98.1% train), 92.52% with. The 1.9 M network above gains 0.4 points with it. So augmentation
    /// costs at 1.9 parameters per image and pays at 35; the threshold is near their geometric middle. Since
    /// (Zen 4, quiet): a `scripts/run` seed-2 final of 314 K parameters (5.8 per image; one wide convolution, a
    /// 12-channel one and three Linear layers) 92.65% test without (the run: 12 epochs, 54,000 images), 91.98%
    /// with crop+flip (`llmatic train`, 340 s, 10 epochs, 60,000 images).
    public static let augmentationMinParametersPerImage = 8.0
    public static let cropPadding = 2
    /// Evaluating is about this many times faster per image than a training step (no backward pass).
    public static let evaluationSpeedup = 2.5
    public static let maxEpochs = 200
    public static let overPlan = 1.5
    /// A retrain whose loss turns NaN or infinite is started again with its learning rate times this factor, at
    /// most `divergenceRetries` times (a diverging run fails within its first few hundred steps, so a retry
    /// costs little of the time; seen: a crossover child that trained under the search's short schedule
    /// diverged at step 50 under the final recipe's, leaving the run without a final network).
    public static let divergenceLearningRateFactor = 0.5
    public static let divergenceRetries = 2

    /// Epochs planned: an upper bound when `timeLimit` is set.
    public var epochs: Int
    public var augment: Bool
    /// Seconds the training may take (nil: the epochs alone decide).
    public var timeLimit: Double?
    /// The search's learning rate is multiplied by this (below 1 after a diverged try).
    public var learningRateScale = 1.0

    public init(epochs: Int, augment: Bool, timeLimit: Double? = nil) {
        self.epochs = epochs; self.augment = augment; self.timeLimit = timeLimit
    }

    /// Epochs (fractional) that fit in `seconds` at `imagesPerSecond` (measured training throughput), each
    /// epoch training on `trainImages` and validating on `validationImages`. 0 when the inputs give none.
    public static func epochsFitting(seconds: Double, imagesPerSecond: Double, trainImages: Int, validationImages: Int) -> Double {
        guard seconds > 0, imagesPerSecond > 0, trainImages > 0 else { return 0 }
        let perEpoch = Double(trainImages) / imagesPerSecond
            + Double(validationImages) / (imagesPerSecond * evaluationSpeedup)
        return min(seconds / perEpoch, Double(maxEpochs))
    }

    /// Whole epochs that fit (rounded down): what decides augmentation and whether a retrain is worth starting.
    public static func fitEpochs(seconds: Double, imagesPerSecond: Double, trainImages: Int, validationImages: Int) -> Int {
        Int(epochsFitting(seconds: seconds, imagesPerSecond: imagesPerSecond, trainImages: trainImages,
                          validationImages: validationImages).rounded(.down))
    }

    /// The recipe for a time budget and a network of `parameters`: `overPlan` times the epochs that fit, the
    /// budget as the time limit (none fit: 0 epochs).
    public static func fitted(seconds: Double, imagesPerSecond: Double, trainImages: Int, validationImages: Int,
                              parameters: Int) -> FinalRecipe {
        let fit = epochsFitting(seconds: seconds, imagesPerSecond: imagesPerSecond, trainImages: trainImages,
                                validationImages: validationImages)
        guard fit >= 1 else { return FinalRecipe(epochs: 0, augment: false) }
        return FinalRecipe(epochs: min(Int((fit * overPlan).rounded(.up)), maxEpochs),
                           augment: Int(fit) >= augmentationMinEpochs && augments(parameters: parameters, trainImages: trainImages),
                           timeLimit: seconds)
    }

    /// Whether a network of `parameters` is large enough for augmentation to pay on `trainImages` images.
    public static func augments(parameters: Int, trainImages: Int) -> Bool {
        Double(parameters) >= augmentationMinParametersPerImage * Double(trainImages)
    }

    /// Train's configuration for this recipe (validation split made by the caller: fraction 0).
    public func trainingConfig(batchSize: Int, learningRate: Double, seed: UInt64) -> TrainingConfig {
        var c = TrainingConfig(epochs: epochs, batchSize: batchSize, learningRate: learningRate * learningRateScale,
                       optimizer: .sgd(momentum: 0.9, nesterov: true, weightDecay: Self.weightDecay),
                       schedule: LearningRateSchedule(.cosine, warmupFraction: Self.warmupFraction),
                       labelSmoothing: Self.labelSmoothing, seed: seed, validationFraction: 0,
                       augmentation: augment ? Augmentation(cropPadding: Self.cropPadding, horizontalFlip: true) : .none)
        c.timeLimit = timeLimit
        return c
    }
}
