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

    /// y (+)= a · b over rows `rows` of `g`: b per row (a channel gate) or element by element.
    static func multiply(_ g: MultiplyGeometry, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                         _ y: UnsafeMutablePointer<Float>, rows: Range<Int>, accumulate: Bool) {
        for r in rows {
            let base = r * g.inner
            if g.perRow {
                let s = b[r]
                if accumulate { for e in base..<(base + g.inner) { y[e] += a[e] * s } }
                else { for e in base..<(base + g.inner) { y[e] = a[e] * s } }
            } else if accumulate {
                for e in base..<(base + g.inner) { y[e] += a[e] * b[e] }
            } else {
                for e in base..<(base + g.inner) { y[e] = a[e] * b[e] }
            }
        }
    }

    /// d[r] (+)= Σ_e dy[r·inner + e] · other[r·inner + e] for rows `rows`.
    static func rowDot(_ g: MultiplyGeometry, _ dy: UnsafePointer<Float>, _ other: UnsafePointer<Float>,
                       _ d: UnsafeMutablePointer<Float>, rows: Range<Int>, accumulate: Bool) {
        for r in rows {
            let base = r * g.inner
            var sum: Float = 0
            for e in base..<(base + g.inner) { sum += dy[e] * other[e] }
            d[r] = accumulate ? d[r] + sum : sum
        }
    }

    /// y (+)= scale · x + shift.
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, scale: Float, shift: Float,
                       accumulate: Bool) {
        if accumulate { for i in 0..<n { y[i] += scale * x[i] + shift } }
        else { for i in 0..<n { y[i] = scale * x[i] + shift } }
    }
}
