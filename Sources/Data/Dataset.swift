// In-memory labelled image sets. Pixels stay uint8 (4x smaller than floats); the loader
// converts and normalises per batch.

/// Channels x height x width of one image.
public struct ImageShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Bytes (pixels) per image.
    public var count: Int { channels * height * width }

    /// `1x28x28`, the notation data-set specs use.
    public var description: String { "\(channels)x\(height)x\(width)" }
}

/// A labelled image set held as uint8 in memory, NCHW per image (images.count == count * shape.count).
public struct Dataset: Sendable {
    public var name: String
    public var shape: ImageShape
    public var classes: Int
    public var images: [UInt8]
    /// Class index per image.
    public var labels: [UInt8]

    public init(name: String, shape: ImageShape, classes: Int, images: [UInt8], labels: [UInt8]) {
        precondition(images.count == labels.count * shape.count,
                     "Dataset \(name): \(images.count) pixels do not make \(labels.count) images of \(shape)")
        self.name = name
        self.shape = shape
        self.classes = classes
        self.images = images
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The images at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> Dataset {
        let size = shape.count
        var newImages = [UInt8](repeating: 0, count: indices.count * size)
        var newLabels = [UInt8](repeating: 0, count: indices.count)
        images.withUnsafeBufferPointer { src in
            newImages.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "subset index \(index) out of 0..<\(count)")
                    let from = UnsafeBufferPointer(rebasing: src[(index * size)..<((index + 1) * size)])
                    let to = UnsafeMutableBufferPointer(rebasing: dst[(row * size)..<((row + 1) * size)])
                    _ = to.initialize(from: from)
                    newLabels[row] = labels[index]
                }
            }
        }
        return Dataset(name: name, shape: shape, classes: classes, images: newImages, labels: newLabels)
    }

    /// Deterministic split (seeded shuffle of indices): returns (train, validation) with
    /// `validationFraction` (0..<1) of the images, rounded to nearest, in validation.
    /// Each part keeps the original relative order of its images.
    public func split(validationFraction: Double, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        precondition(validationFraction >= 0 && validationFraction < 1, "validationFraction must be in 0..<1")
        let permutation = seededPermutation(count, seed: seed)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        let validation = permutation[..<validationCount].sorted()
        let train = permutation[validationCount...].sorted()
        return (subset(train), subset(validation))
    }

    /// Images per class, indexed by label.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: max(classes, 1))
        for label in labels where Int(label) < counts.count { counts[Int(label)] += 1 }
        return counts
    }
}

/// The two halves of a data set as published.
public struct DatasetPair: Sendable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}
