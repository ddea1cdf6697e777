#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine
import NetIR

/// BatchNorm forward (training and eval) and backward (docs/ops.md "batchNorm"), one channel at a time so a
/// channel's `batch × spatial` values stay in cache across the passes; workers take disjoint channel ranges.
struct BatchNormKernel {
    var g: BatchNormGeometry
    var x: UnsafeMutablePointer<Float>
    var scale: UnsafeMutablePointer<Float>?
    var shift: UnsafeMutablePointer<Float>?
    var runningMean: UnsafeMutablePointer<Float>
    var runningVar: UnsafeMutablePointer<Float>

    /// Training: batch statistics, saved mean/invstd, running stats updated, y = act(γ·x̂ + β (+ residual)).
    func train(_ y: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>?,
               savedInvStd: UnsafeMutablePointer<Float>?, act: Activation?, residual: UnsafePointer<Float>? = nil,
               channels: Range<Int>) {
        let s = g.spatial, stride = g.channels * s
        let m = g.batch * s
        for c in channels {
            var total = 0.0
            for n in 0..<g.batch { total += Double(Reduce.sum(x + n * stride + c * s, s)) }
            let mean = Float(total / Double(m))
            var squares = 0.0
            for n in 0..<g.batch { squares += Double(Reduce.squaredDeviations(x + n * stride + c * s, s, mean)) }
            let variance = squares / Double(m)
            let invStd = Float(1 / (variance + Double(g.eps)).squareRoot())
            savedMean?[c] = mean
            savedInvStd?[c] = invStd
            let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
            runningMean[c] = (1 - g.momentum) * runningMean[c] + g.momentum * mean
            runningVar[c] = (1 - g.momentum) * runningVar[c] + g.momentum * Float(unbiased)
            let a = (scale?[c] ?? 1) * invStd
            let b = (shift?[c] ?? 0) - mean * a
            for n in 0..<g.batch {
                let o = n * stride + c * s
                if let residual { Self.affineAdd(x + o, residual + o, y + o, s, a, b, act) } else { Self.affine(x + o, y + o, s, a, b, act) }
            }
        }
    }

    /// Eval: running statistics, nothing saved or updated.
    func eval(_ y: UnsafeMutablePointer<Float>, act: Activation?, residual: UnsafePointer<Float>? = nil, channels: Range<Int>) {
        let s = g.spatial, stride = g.channels * s
        for c in channels {
            let invStd = 1 / (runningVar[c] + g.eps).squareRoot()
            let a = (scale?[c] ?? 1) * invStd
            let b = (shift?[c] ?? 0) - runningMean[c] * a
            for n in 0..<g.batch {
                let o = n * stride + c * s
                if let residual { Self.affineAdd(x + o, residual + o, y + o, s, a, b, act) } else { Self.affine(x + o, y + o, s, a, b, act) }
            }
        }
    }

    /// y = act(a·x + b).
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float, _ b: Float,
                       _ act: Activation?) {
        switch act {
        case nil: for i in 0..<n { y[i] = a * x[i] + b }
        case .relu?: for i in 0..<n { let v = a * x[i] + b; y[i] = v > 0 ? v : 0 }
        case let act?: ActivationKernels.specialized(act, AffineLoop(x: x, y: y, n: n, a: a, b: b))
        }
    }

    /// y = act((a·x + b) + r): the batch norm's Float result plus the residual, as the unfused add sums them.
    @inline(__always)
    static func affineAdd(_ x: UnsafePointer<Float>, _ r: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                          _ a: Float, _ b: Float, _ act: Activation?) {
        switch act {
        case nil: for i in 0..<n { y[i] = (a * x[i] + b) + r[i] }
        case .relu?: for i in 0..<n { let v = (a * x[i] + b) + r[i]; y[i] = v > 0 ? v : 0 }
        case let act?: for i in 0..<n { y[i] = ActivationKernels.apply(act, (a * x[i] + b) + r[i]) }
        }
    }

    /// dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·invstd·(dy − dβ/m − x̂·dγ/m); each output optional, with its own accumulate.
    /// With `reluOutput` (batchNormReluBackward), dy is first masked by [y > 0] in both passes, never stored.
    static func backward(_ g: BatchNormGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         reluOutput: UnsafePointer<Float>? = nil,
                         scale: UnsafePointer<Float>?, savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dScale: UnsafeMutablePointer<Float>?,
                         dShift: UnsafeMutablePointer<Float>?, accumulate: Bool, accumulateParameters: Bool,
                         channels: Range<Int>) {
        let s = g.spatial, stride = g.channels * s
        let m = Float(g.batch * s)
        for c in channels {
            let mean = savedMean[c], invStd = savedInvStd[c]
            var sumDy = 0.0, sumDyXc = 0.0
            for n in 0..<g.batch {
                let o = n * stride + c * s
                let (a, b) = reluOutput.map { Reduce.maskedSumAndCenteredDot(dy + o, $0 + o, x + o, s, mean) }
                    ?? Reduce.sumAndCenteredDot(dy + o, x + o, s, mean)
                sumDy += Double(a); sumDyXc += Double(b)
            }
            let dBeta = Float(sumDy), dGamma = Float(sumDyXc) * invStd
            if let dScale { dScale[c] = accumulateParameters ? dScale[c] + dGamma : dGamma }
            if let dShift { dShift[c] = accumulateParameters ? dShift[c] + dBeta : dBeta }
            guard let dx else { continue }
            let a = (scale?[c] ?? 1) * invStd
            let k = a * invStd * dGamma / m
            let b = a * dBeta / m - k * mean   // dx = a·dy − k·x − b
            for n in 0..<g.batch {
                let o = n * stride + c * s
                let dyp = dy + o, xp = x + o, dxp = dx + o
                // dy is loaded unconditionally so the masked loops vectorise (ActivationKernels.backward).
                switch (reluOutput.map { $0 + o }, accumulate) {
                case (let yp?, true):
                    for i in 0..<s { let d = dyp[i]; dxp[i] += a * (yp[i] > 0 ? d : 0) - k * xp[i] - b }
                case (let yp?, false):
                    for i in 0..<s { let d = dyp[i]; dxp[i] = a * (yp[i] > 0 ? d : 0) - k * xp[i] - b }
                case (nil, true):
                    for i in 0..<s { dxp[i] += a * dyp[i] - k * xp[i] - b }
                case (nil, false):
                    for i in 0..<s { dxp[i] = a * dyp[i] - k * xp[i] - b }
                }
            }
        }
    }
}

/// y = act(a·x + b), the loop `ActivationKernels.specialized` instantiates per kind.
private struct AffineLoop: ActivationLoop {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, n: Int, a: Float, b: Float
    @inline(__always)
    func run(_ act: Activation) { for i in 0..<n { y[i] = ActivationKernels.apply(act, a * x[i] + b) } }
}
