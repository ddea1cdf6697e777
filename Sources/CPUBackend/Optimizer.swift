#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine

/// SGD (momentum, Nesterov, weight decay) and Adam/AdamW (docs/ops.md "optimizer"): one pass over a slice of
/// the flat parameter region; workers take disjoint slices.
enum OptimizerKernels {
    static func sgd(_ p: UnsafeMutablePointer<Float>, _ grad: UnsafePointer<Float>, _ velocity: UnsafeMutablePointer<Float>?,
                    _ range: Range<Int>, lr: Float, momentum: Float, nesterov: Bool, weightDecay: Float) {
        let lo = range.lowerBound, n = range.count
        let p = p + lo, grad = grad + lo
        if momentum == 0 || velocity == nil {
            for i in 0..<n { p[i] -= lr * (grad[i] + weightDecay * p[i]) }
            return
        }
        guard let velocity else { return }
        let v = velocity + lo
        if nesterov {
            for i in 0..<n {
                let g = grad[i] + weightDecay * p[i]
                let vi = momentum * v[i] + g
                v[i] = vi
                p[i] -= lr * (g + momentum * vi)
            }
        } else if weightDecay == 0 {
            for i in 0..<n {
                let vi = momentum * v[i] + grad[i]
                v[i] = vi
                p[i] -= lr * vi
            }
        } else {
            for i in 0..<n {
                let vi = momentum * v[i] + (grad[i] + weightDecay * p[i])
                v[i] = vi
                p[i] -= lr * vi
            }
        }
    }

    static func adam(_ p: UnsafeMutablePointer<Float>, _ grad: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                     _ v: UnsafeMutablePointer<Float>, _ range: Range<Int>, lr: Float, beta1: Float, beta2: Float,
                     eps: Float, weightDecay: Float, decoupled: Bool, t: Int) {
        let c1 = Float(1 - pow(Double(beta1), Double(t)))
        let c2 = Float(1 - pow(Double(beta2), Double(t)))
        let decay = decoupled ? 1 - lr * weightDecay : 1
        let coupled = decoupled ? 0 : weightDecay
        let invC1 = 1 / c1, invC2 = 1 / c2
        for i in range {
            if decoupled { p[i] *= decay }
            let g = grad[i] + coupled * p[i]
            let mi = beta1 * m[i] + (1 - beta1) * g
            let vi = beta2 * v[i] + (1 - beta2) * g * g
            m[i] = mi
            v[i] = vi
            p[i] -= lr * (mi * invC1) / ((vi * invC2).squareRoot() + eps)
        }
    }
}
