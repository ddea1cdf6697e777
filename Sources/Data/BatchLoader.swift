// A background prefetching loader: one worker thread shuffles, augments, converts and normalises
// batches into a ring of preallocated slots while the trainer computes on the previous batch.
// The batch sequence is a pure function of (dataset, settings, seed), whatever the timing.
import Foundation

/// One batch: read-only views into the loader's ring slot, valid until the next call to
/// `BatchLoader.next()` (or until the loader is gone).
public struct Batch: @unchecked Sendable {
    /// batchSize * C * H * W normalised floats, NCHW.
    public let images: UnsafeBufferPointer<Float>
    /// batchSize labels; in a final partial batch the `validCount` real samples come first and
    /// the rest are padding with label -1 and all-zero images.
    public let labels: UnsafeBufferPointer<Int32>
    public let validCount: Int
    public let epoch: Int
    public let indexInEpoch: Int

    public init(images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
                validCount: Int, epoch: Int, indexInEpoch: Int) {
        self.images = images
        self.labels = labels
        self.validCount = validCount
        self.epoch = epoch
        self.indexInEpoch = indexInEpoch
    }
}

public final class BatchLoader: @unchecked Sendable {
    public let batchSize: Int
    public let shape: ImageShape
    /// Batches per epoch: a final partial batch counts unless `dropLast`.
    public let batchesPerEpoch: Int

    private let ring: BatchRing
    private let producer: BatchProducer

    /// - Parameters:
    ///   - prefetch: batches the worker may prepare ahead of the one being read.
    ///   - epochs: how many passes over `dataset`; nil = endless.
    public init(dataset: Dataset, batchSize: Int, shuffle: Bool, augmentation: Augmentation,
                normalization: Normalization, seed: UInt64, dropLast: Bool, prefetch: Int = 4, epochs: Int? = nil) {
        precondition(batchSize > 0, "batchSize must be positive")
        precondition(prefetch >= 1, "prefetch must be at least 1")
        precondition(normalization.mean.count == dataset.shape.channels,
                     "normalization has \(normalization.mean.count) channels, the data set \(dataset.shape.channels)")
        self.batchSize = batchSize
        shape = dataset.shape
        batchesPerEpoch = dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
        // One slot more than `prefetch`, so `prefetch` batches can be ready while the trainer reads one.
        ring = BatchRing(slots: prefetch + 1, imagesPerSlot: batchSize * dataset.shape.count, labelsPerSlot: batchSize)
        producer = BatchProducer(dataset: dataset, batchSize: batchSize, batchesPerEpoch: batchesPerEpoch,
                                 shuffle: shuffle, augmentation: augmentation, normalization: normalization,
                                 seed: seed, epochs: epochs, ring: ring)
        let producer = self.producer
        let thread = Thread { producer.run() }
        thread.name = "llmatic.BatchLoader"
        thread.start()
    }

    deinit { stop() }

    /// Blocks until the next batch is ready. Returns nil after the last epoch (or after `stop()`).
    /// The batch's buffers stay valid until the next call to next().
    public func next() -> Batch? {
        guard let slot = ring.takeReadySlot() else { return nil }
        let info = ring.info[slot]
        return Batch(images: UnsafeBufferPointer(start: ring.images + slot * ring.imagesPerSlot, count: ring.imagesPerSlot),
                     labels: UnsafeBufferPointer(start: ring.labels + slot * ring.labelsPerSlot, count: ring.labelsPerSlot),
                     validCount: info.validCount, epoch: info.epoch, indexInEpoch: info.indexInEpoch)
    }

    /// Total time next() spent blocked waiting for the worker.
    public var waitSeconds: Double { ring.waitSeconds }

    /// Stops the worker and waits for it to return. Idempotent; also called from deinit.
    public func stop() { ring.stop() }

    /// The sample order of `epoch` when shuffling: a seeded permutation, independent of other epochs.
    public static func epochOrder(count: Int, epoch: Int, seed: UInt64) -> [Int] {
        seededPermutation(count, seed: BatchProducer.epochSeed(seed, epoch))
    }
}
