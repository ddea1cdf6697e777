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

    /// Training: batch statistics, saved mean/invstd, running stats updated, y = act(γ·x̂ + β).
    func train(_ y: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>?,
               savedInvStd: UnsafeMutablePointer<Float>?, act: Activation?, channels: Range<Int>) {
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
                Self.affine(x + o, y + o, s, a, b, act)
            }
        }
    }

    /// Eval: running statistics, nothing saved or updated.
    func eval(_ y: UnsafeMutablePointer<Float>, act: Activation?, channels: Range<Int>) {
        let s = g.spatial, stride = g.channels * s
        for c in channels {
            let invStd = 1 / (runningVar[c] + g.eps).squareRoot()
            let a = (scale?[c] ?? 1) * invStd
            let b = (shift?[c] ?? 0) - runningMean[c] * a
            for n in 0..<g.batch {
                let o = n * stride + c * s
                Self.affine(x + o, y + o, s, a, b, act)
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

    /// dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·invstd·(dy − dβ/m − x̂·dγ/m); each output optional, with its own accumulate.
    static func backward(_ g: BatchNormGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
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
                let (a, b) = Reduce.sumAndCenteredDot(dy + o, x + o, s, mean)
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
                if accumulate {
                    for i in 0..<s { dxp[i] += a * dyp[i] - k * xp[i] - b }
                } else {
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
