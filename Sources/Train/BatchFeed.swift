import Data
import Engine

/// Where training steps get their batches: the host loader (normalised floats uploaded per step) or the data set
/// resident on the device (gathered there). Both follow the loader's epoch permutations, drop the last partial
/// batch and resume at any step, so without augmentation the two feed identical batches.
final class BatchFeed {
    /// The batch a step trains on.
    struct Position { let epoch: Int; let indexInEpoch: Int }

    private enum Source {
        case host(BatchLoader)
        case resident(any ResidentDataExecutor)
    }

    private var source: Source
    private let count: Int
    private let batchSize: Int
    private let perEpoch: Int
    private let seed: UInt64
    /// Next step's place; epoch orders are uploaded as the feed enters an epoch.
    private var epoch: Int
    private var index: Int
    private var orderEpoch = -1
    /// Host batches still to draw and drop before the start step.
    private var skip = 0

    /// A resident feed when `config.residentData`, the executor supports it and the data set fits on the device;
    /// otherwise the host loader. Starts at `startStep` (steps before it are skipped, not trained).
    init(trainSet: Dataset, config: TrainingConfig, normalization: Normalization, executor: any PlanExecutor,
         seed: UInt64, perEpoch: Int, totalSteps: Int, startStep: Int) {
        count = trainSet.count
        batchSize = config.batchSize
        self.perEpoch = perEpoch
        self.seed = seed
        epoch = perEpoch > 0 ? startStep / perEpoch : 0
        index = perEpoch > 0 ? startStep % perEpoch : 0
        if config.residentData, let device = executor as? any ResidentDataExecutor,
           Self.upload(trainSet, normalization: normalization, augmentation: config.augmentation, seed: seed, to: device) {
            source = .resident(device)
        } else {
            let loader = BatchLoader(dataset: trainSet, batchSize: config.batchSize, shuffle: true,
                                     augmentation: config.augmentation, normalization: normalization, seed: seed,
                                     dropLast: true, prefetch: config.prefetch,
                                     epochs: perEpoch > 0 ? totalSteps / perEpoch + (totalSteps % perEpoch > 0 ? 1 : 0) : 0)
            source = .host(loader)
            skip = startStep
        }
    }

    var isResident: Bool { if case .resident = source { true } else { false } }

    /// Sets the next batch on `executor` (whose `step` is the step about to be taken); nil when the loader is done.
    func next(_ executor: any PlanExecutor) -> Position? {
        switch source {
        case .host(let loader):
            // Resuming: the host loader draws the skipped batches, so its augmentation stream stays in step.
            while let b = loader.next() {
                if skip > 0 { skip -= 1; continue }
                executor.setBatch(images: b.images, labels: b.labels)
                return Position(epoch: b.epoch, indexInEpoch: b.indexInEpoch)
            }
            return nil
        case .resident(let device):
            guard perEpoch > 0 else { return nil }
            if orderEpoch != epoch {
                device.setResidentOrder(BatchLoader.epochOrder(count: count, epoch: epoch, seed: seed).map { Int32($0) })
                orderEpoch = epoch
            }
            device.setResidentBatch(first: index * batchSize, valid: batchSize,
                                    step: UInt32(truncatingIfNeeded: device.step))
            let position = Position(epoch: epoch, indexInEpoch: index)
            index += 1
            if index == perEpoch { index = 0; epoch += 1 }
            return position
        }
    }

    /// Seconds the loop spent waiting for the host loader (0 when resident).
    var waitSeconds: Double {
        if case .host(let loader) = source { return loader.waitSeconds }
        return 0
    }

    /// Stops the loader's thread or frees the device copy.
    func stop() {
        switch source {
        case .host(let loader): loader.stop()
        case .resident(let device): device.releaseResidentData()
        }
    }

    /// The resident augmentation stream's seed: the loader seed's halves folded, as for dropout.
    static func augmentationSeed(_ seed: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: seed ^ (seed >> 32)) }

    private static func upload(_ data: Dataset, normalization: Normalization, augmentation: Augmentation, seed: UInt64,
                               to device: any ResidentDataExecutor) -> Bool {
        let (scale, shift) = normalization.scaleAndShift
        let recipe = ResidentBatchRecipe(scale: scale, shift: shift, cropPadding: augmentation.cropPadding,
                                         horizontalFlip: augmentation.horizontalFlip, seed: augmentationSeed(seed))
        let labels = data.labels.map { Int32($0) }
        do {
            try data.images.withUnsafeBufferPointer { images in
                try labels.withUnsafeBufferPointer { try device.loadResidentData(images: images, labels: $0, recipe: recipe) }
            }
            return true
        } catch {
            // Too large for the device, or no buffer: the host loader feeds instead.
            return false
        }
    }
}
