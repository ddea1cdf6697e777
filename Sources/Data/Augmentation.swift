// Training-time augmentation in uint8 space, before normalisation: padded pixels are 0 like
// torchvision's RandomCrop(padding: p) on a PIL image, then RandomHorizontalFlip(0.5).

public struct Augmentation: Sendable, Equatable {
    /// Pad by this many zero pixels on each side, then crop back at a random offset; 0 = off.
    public var cropPadding: Int
    /// Mirror left-right with probability 0.5.
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        precondition(cropPadding >= 0, "cropPadding must be >= 0")
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    public static let none = Augmentation()

    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// The random choices for one sample. Offsets are the crop's top-left corner in the padded
    /// image, in 0...2*cropPadding (cropPadding, cropPadding = no shift).
    public struct Choice: Sendable, Equatable {
        public var offsetY: Int
        public var offsetX: Int
        public var flip: Bool

        public init(offsetY: Int, offsetX: Int, flip: Bool) {
            self.offsetY = offsetY
            self.offsetX = offsetX
            self.flip = flip
        }
    }

    /// Draws one sample's choices, in the order y offset, x offset, flip; a disabled step draws nothing.
    public func choose(using generator: inout SeededGenerator) -> Choice {
        var choice = Choice(offsetY: cropPadding, offsetX: cropPadding, flip: false)
        if cropPadding > 0 {
            choice.offsetY = generator.nextInt(below: 2 * cropPadding + 1)
            choice.offsetX = generator.nextInt(below: 2 * cropPadding + 1)
        }
        if horizontalFlip { choice.flip = generator.next() >> 63 == 1 }
        return choice
    }

    /// Crops (with zero padding `padding`) and optionally flips one NCHW image from `source` into
    /// `destination`; both hold `shape.count` pixels. out[c][y][x] = padded[c][y + oy][x' + ox]
    /// with x' = W-1-x when flipping, where padded[c][i][j] = source[c][i - p][j - p] or 0 outside.
    public static func apply(source: UnsafeBufferPointer<UInt8>, destination: UnsafeMutableBufferPointer<UInt8>,
                             shape: ImageShape, padding: Int, choice: Choice) {
        precondition(source.count >= shape.count && destination.count >= shape.count, "image buffers too small")
        let (h, w) = (shape.height, shape.width)
        let dy = choice.offsetY - padding
        let dx = choice.offsetX - padding
        // Output columns whose source column lies inside the image; the rest are padding.
        let xLow = max(0, -dx), xHigh = min(w, w - dx)
        for c in 0..<shape.channels {
            let plane = c * h * w
            for y in 0..<h {
                let out = plane + y * w
                let sy = y + dy
                guard sy >= 0 && sy < h && xLow < xHigh else {
                    for x in 0..<w { destination[out + x] = 0 }
                    continue
                }
                let row = plane + sy * w + dx
                // Unflipped crop of this row, written straight or mirrored.
                if choice.flip {
                    for x in 0..<w { destination[out + x] = 0 }
                    for x in xLow..<xHigh { destination[out + (w - 1 - x)] = source[row + x] }
                } else {
                    for x in 0..<xLow { destination[out + x] = 0 }
                    for x in xLow..<xHigh { destination[out + x] = source[row + x] }
                    for x in xHigh..<w { destination[out + x] = 0 }
                }
            }
        }
    }

    /// Array convenience around `apply(source:destination:shape:padding:choice:)`.
    public static func apply(_ image: [UInt8], shape: ImageShape, padding: Int, choice: Choice) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: shape.count)
        image.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                apply(source: source, destination: destination, shape: shape, padding: padding, choice: choice)
            }
        }
        return output
    }
}
