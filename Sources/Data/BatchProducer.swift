// The loader's worker: fills ring slots in order. All its randomness comes from seeded
// generators advanced in sample order, so timing never changes what it produces.

final class BatchProducer: @unchecked Sendable {
    private let dataset: Dataset
    private let batchSize: Int
    private let batchesPerEpoch: Int
    private let shuffle: Bool
    private let augmentation: Augmentation
    private let scale: [Float]
    private let shift: [Float]
    private let seed: UInt64
    private let epochs: Int?
    private let ring: BatchRing

    init(dataset: Dataset, batchSize: Int, batchesPerEpoch: Int, shuffle: Bool, augmentation: Augmentation,
         normalization: Normalization, seed: UInt64, epochs: Int?, ring: BatchRing) {
        self.dataset = dataset
        self.batchSize = batchSize
        self.batchesPerEpoch = batchesPerEpoch
        self.shuffle = shuffle
        self.augmentation = augmentation
        (scale, shift) = normalization.scaleAndShift
        self.seed = seed
        self.epochs = epochs
        self.ring = ring
    }

    /// Seed of one epoch's shuffle; epochs are independent so any epoch can be reproduced alone.
    static func epochSeed(_ seed: UInt64, _ epoch: Int) -> UInt64 { deriveSeed(seed, UInt64(epoch)) }
    /// Stream id of the augmentation generator, far from any epoch number.
    static let augmentationStream: UInt64 = 0xA06_0000_0000_0000

    /// The thread body: produces every batch, then tells the ring it is done.
    func run() {
        defer { ring.markExited() }
        let sampleSize = dataset.shape.count
        var order = Array(0..<dataset.count)
        var augmentationGenerator = SeededGenerator(seed: deriveSeed(seed, Self.augmentationStream))
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: sampleSize)
        defer { scratch.deallocate() }

        dataset.images.withUnsafeBufferPointer { pixels in
            var epoch = 0
            // An epoch without batches (dropLast with fewer samples than a batch) would spin forever.
            while batchesPerEpoch > 0 && (epochs.map { epoch < $0 } ?? true) {
                if shuffle {
                    for i in order.indices { order[i] = i }
                    var generator = SeededGenerator(seed: Self.epochSeed(seed, epoch))
                    seededShuffle(&order, using: &generator)
                }
                for batch in 0..<batchesPerEpoch {
                    guard let slot = ring.acquireFreeSlot() else { return }
                    fill(slot: slot, epoch: epoch, batch: batch, order: order, pixels: pixels,
                         scratch: scratch, generator: &augmentationGenerator)
                    ring.publish()
                }
                epoch += 1
            }
        }
        ring.finish()
    }

    /// Writes batch `batch` of `epoch` into `slot`: augmented, normalised samples, then padding.
    private func fill(slot: Int, epoch: Int, batch: Int, order: [Int], pixels: UnsafeBufferPointer<UInt8>,
                      scratch: UnsafeMutableBufferPointer<UInt8>, generator: inout SeededGenerator) {
        let sampleSize = dataset.shape.count
        let plane = dataset.shape.height * dataset.shape.width
        let first = batch * batchSize
        let valid = min(batchSize, dataset.count - first)
        let images = ring.images + slot * ring.imagesPerSlot
        let labels = ring.labels + slot * ring.labelsPerSlot
        guard let base = pixels.baseAddress else { return }

        for j in 0..<valid {
            let index = order[first + j]
            var source = UnsafePointer(base + index * sampleSize)
            if !augmentation.isIdentity {
                let choice = augmentation.choose(using: &generator)
                Augmentation.apply(source: UnsafeBufferPointer(start: source, count: sampleSize), destination: scratch,
                                   shape: dataset.shape, padding: augmentation.cropPadding, choice: choice)
                source = scratch.baseAddress.map { UnsafePointer($0) } ?? source
            }
            let out = images + j * sampleSize
            for c in 0..<dataset.shape.channels {
                normalize(source + c * plane, into: out + c * plane, count: plane, scale: scale[c], shift: shift[c])
            }
            labels[j] = Int32(dataset.labels[index])
        }
        if valid < batchSize {
            (images + valid * sampleSize).update(repeating: 0, count: (batchSize - valid) * sampleSize)
            (labels + valid).update(repeating: -1, count: batchSize - valid)
        }
        ring.info[slot] = SlotInfo(validCount: valid, epoch: epoch, indexInEpoch: batch)
    }
}

/// uint8 -> float with the per-channel affine normalisation; a plain loop the optimiser vectorises.
@inline(__always)
private func normalize(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<Float>,
                       count: Int, scale: Float, shift: Float) {
    for i in 0..<count {
        destination[i] = Float(source[i]) * scale + shift
    }
}
