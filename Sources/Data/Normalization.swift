// Per-channel normalisation of pixel/255, the convention of torchvision's Normalize after ToTensor.

public struct Normalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "Normalization needs one mean and one std per channel")
        self.mean = mean
        self.std = std
    }

    /// Fashion-MNIST's training set, as `fit` computes it (population std over all pixels).
    public static let fashionMNIST = Normalization(mean: [0.286_040_6], std: [0.353_024_4])

    /// No centring: values are pixel/255 in [0, 1].
    public static func identity(channels: Int) -> Normalization {
        Normalization(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }

    /// Per-channel mean and population std of pixel/255 over every image of `dataset`.
    public static func fit(_ dataset: Dataset) -> Normalization {
        let channels = dataset.shape.channels
        let plane = dataset.shape.height * dataset.shape.width
        // Integer sums are exact (and fast); 2^63 allows over 10^14 pixels at 255^2 each.
        var sums = [Int](repeating: 0, count: channels)
        var squares = [Int](repeating: 0, count: channels)
        dataset.images.withUnsafeBufferPointer { pixels in
            for image in 0..<dataset.count {
                for c in 0..<channels {
                    let start = (image * channels + c) * plane
                    var sum = 0, square = 0
                    for i in start..<(start + plane) {
                        let v = Int(pixels[i])
                        sum += v
                        square += v * v
                    }
                    sums[c] += sum
                    squares[c] += square
                }
            }
        }
        let n = Double(max(dataset.count * plane, 1))
        var mean: [Float] = [], std: [Float] = []
        for c in 0..<channels {
            let m = Double(sums[c]) / n
            let variance = max(Double(squares[c]) / n - m * m, 0)
            mean.append(Float(m / 255))
            // A constant channel would divide by zero; leave it unscaled instead.
            std.append(variance > 0 ? Float(variance.squareRoot() / 255) : 1)
        }
        return Normalization(mean: mean, std: std)
    }

    /// The affine map the loader applies: value = pixel * scale + shift, per channel.
    public var scaleAndShift: (scale: [Float], shift: [Float]) {
        let scale = std.map { 1 / (255 * $0) }
        let shift = zip(mean, std).map { -$0 / $1 }
        return (scale, shift)
    }
}
