/// How one sample of a device-resident data set becomes network input: value = pixel * scale[c] + shift[c]
/// after an optional random crop (zero padding `cropPadding`, pad pixels count as 0) and horizontal flip.
/// The random choices come from `ResidentAugmentation`, a pure function of (seed, step, row), so a device
/// needs no generator state and any step can be reproduced alone (resuming, tests).
public struct ResidentBatchRecipe: Sendable, Equatable {
    public var scale: [Float]
    public var shift: [Float]
    public var cropPadding: Int
    public var horizontalFlip: Bool
    /// Seed of the augmentation stream.
    public var seed: UInt32

    public init(scale: [Float], shift: [Float], cropPadding: Int = 0, horizontalFlip: Bool = false, seed: UInt32 = 0) {
        precondition(scale.count == shift.count && cropPadding >= 0, "bad resident batch recipe")
        self.scale = scale; self.shift = shift
        self.cropPadding = cropPadding; self.horizontalFlip = horizontalFlip; self.seed = seed
    }
}

/// An executor that can keep a whole uint8 data set on its device and build training batches there
/// (gather by an epoch permutation, augment, normalise), so a step moves no images from the host.
/// Optional: backends without it are fed through `setBatch`.
public protocol ResidentDataExecutor: PlanExecutor {
    /// Uploads `labels.count` images (uint8, NCHW, `plan.inputCount / batch` pixels each) and their labels,
    /// replacing any earlier set. Throws when the device cannot hold them; the caller then feeds from the host.
    func loadResidentData(images: UnsafeBufferPointer<UInt8>, labels: UnsafeBufferPointer<Int32>,
                          recipe: ResidentBatchRecipe) throws
    /// The sample order of the following batches (an epoch's permutation of `0..<count`), one small upload;
    /// set it before the first batch.
    func setResidentOrder(_ order: [Int32])
    /// Fills the input and label regions with samples `order[first ..< first + valid]` (row r drawing its
    /// augmentation from (recipe.seed, step, r)); rows from `valid` on are zero images with label -1.
    func setResidentBatch(first: Int, valid: Int, step: UInt32)
    /// Frees the device copy of the data set.
    func releaseResidentData()
}

/// The counter-based crop and flip choices of a resident batch; the kernel (Kernels/data.cl) computes the
/// same bits, and `Augmentation.apply` in Data defines what the choices mean.
public enum ResidentAugmentation {
    /// Salts of the three decisions, distinct from each other so they are independent.
    static let saltY: UInt32 = 0xA0, saltX: UInt32 = 0xA1, saltFlip: UInt32 = 0xA2

    /// CounterRandom's hash: mix(mix(mix(seed ^ C) ^ step &+ salt &* K) ^ index), all 32 bits.
    @inline(__always)
    static func bits(seed: UInt32, step: UInt32, salt: UInt32, index: UInt32) -> UInt32 {
        CounterRandom.mix(CounterRandom.mix(CounterRandom.mix(seed ^ 0x9e37_79b9) ^ step &+ salt &* 0x85eb_ca6b) ^ index)
    }

    /// Crop offsets in `0...2*cropPadding` (top-left corner in the padded image; cropPadding = no shift) and
    /// flip of batch row `row` at `step`. Offsets use multiply-shift (the high word of bits * bound), exact in
    /// 32-bit integers on any device.
    public static func choice(seed: UInt32, step: UInt32, row: Int, cropPadding: Int, horizontalFlip: Bool)
        -> (offsetY: Int, offsetX: Int, flip: Bool) {
        let index = UInt32(truncatingIfNeeded: row)
        let bound = UInt32(2 * cropPadding + 1)
        let y = bits(seed: seed, step: step, salt: saltY, index: index).multipliedFullWidth(by: bound).high
        let x = bits(seed: seed, step: step, salt: saltX, index: index).multipliedFullWidth(by: bound).high
        let flip = horizontalFlip && bits(seed: seed, step: step, salt: saltFlip, index: index) >> 31 == 1
        return (Int(y), Int(x), flip)
    }
}
