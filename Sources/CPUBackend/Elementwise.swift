import Engine

/// Copy, add, fill, dropout and concatenation (docs/ops.md), as loops over raw pointers.
enum ElementwiseKernels {
    /// y = x, or y += x.
    static func copy(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, accumulate: Bool) {
        if accumulate {
            for i in 0..<n { y[i] += x[i] }
        } else {
            y.update(from: x, count: n)
        }
    }

    static func fill(_ y: UnsafeMutablePointer<Float>, _ n: Int, _ value: Float) {
        y.update(repeating: value, count: n)
    }

    /// y = a + b (a and y may alias).
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = a[i] + b[i] }
    }

    /// Dropout: mask[e] = keep ? 1/(1-p) : 0 with keep = uniform(seed, step, salt, e) >= p; y = x·mask.
    static func dropout(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ mask: UnsafeMutablePointer<Float>,
                        _ range: Range<Int>, p: Float, seed: UInt32, step: UInt32, salt: UInt32) {
        let scale = p < 1 ? 1 / (1 - p) : 0
        for e in range {
            let keep = CounterRandom.uniform(seed: seed, step: step, salt: salt, index: UInt32(truncatingIfNeeded: e)) >= p
            let m: Float = keep ? scale : 0
            mask[e] = m
            y[e] = x[e] * m
        }
    }

    /// dx (=|+=) dy · mask.
    static func multiply(_ dy: UnsafePointer<Float>, _ mask: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                         _ n: Int, accumulate: Bool) {
        if accumulate {
            for i in 0..<n { dx[i] += dy[i] * mask[i] }
        } else {
            for i in 0..<n { dx[i] = dy[i] * mask[i] }
        }
    }

    /// Channel concatenation of per-sample blocks: input i contributes `blocks[i]` = channels·spatial floats.
    static func concat(_ inputs: [UnsafeMutablePointer<Float>], _ blocks: [Int], _ y: UnsafeMutablePointer<Float>,
                       batch: Int) {
        let total = blocks.reduce(0, +)
        for n in 0..<batch {
            var offset = n * total
            for (i, x) in inputs.enumerated() {
                (y + offset).update(from: x + n * blocks[i], count: blocks[i])
                offset += blocks[i]
            }
        }
    }

    /// The inverse of `concat`: slices dy into the present outputs, overwriting or accumulating per output.
    static func concatBackward(_ dy: UnsafePointer<Float>, _ outputs: [UnsafeMutablePointer<Float>?], _ blocks: [Int],
                               accumulate: [Bool], batch: Int) {
        let total = blocks.reduce(0, +)
        for n in 0..<batch {
            var offset = n * total
            for (i, dx) in outputs.enumerated() {
                if let dx { copy(dy + offset, dx + n * blocks[i], blocks[i], accumulate: accumulate[i]) }
                offset += blocks[i]
            }
        }
    }
}
