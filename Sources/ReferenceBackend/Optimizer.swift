import Foundation
import Engine

/// The optimizer update over the whole parameter region, t = step + 1, with PyTorch's formulas (docs/ops.md).
/// Each element is updated in Double from its Float values and rounded once.
extension Reference {
    static func optimizerUpdate(_ config: OptimizerConfig, learningRate: Float, step: Int, parameters: [Float],
                                gradients: [Float], state: [Float]) -> (parameters: [Float], state: [Float]) {
        let count = parameters.count
        let lr = Double(learningRate)
        var p = parameters, s = state
        switch config {
        case .sgd(let momentum, let nesterov, let weightDecay):
            let mu = Double(momentum)
            for e in 0..<count {
                let g = Double(gradients[e]) + Double(weightDecay) * Double(p[e])
                var d = g
                if momentum != 0 {
                    let v = mu * Double(s[e]) + g
                    s[e] = Float(v)
                    d = nesterov ? g + mu * v : v
                }
                p[e] = Float(Double(p[e]) - lr * d)
            }
        case .adam(let beta1, let beta2, let eps, let weightDecay, let decoupled):
            let b1 = Double(beta1), b2 = Double(beta2), wd = Double(weightDecay)
            let t = Double(step + 1)
            let correction1 = 1 - pow(b1, t), correction2 = 1 - pow(b2, t)
            for e in 0..<count {
                var w = Double(p[e])
                var g = Double(gradients[e])
                if decoupled { w *= 1 - lr * wd } else { g += wd * w }
                let m = b1 * Double(s[e]) + (1 - b1) * g
                let v = b2 * Double(s[count + e]) + (1 - b2) * g * g
                s[e] = Float(m)
                s[count + e] = Float(v)
                w -= lr * (m / correction1) / ((v / correction2).squareRoot() + Double(eps))
                p[e] = Float(w)
            }
        }
        return (p, s)
    }
}
