import Engine
import NetIR

/// linear and its backward ops: `y = act(x Wᵀ + b)`, `dx = dy W`, `dW = dyᵀ x`, `dB = Σ_n dy`.
/// x is [batch, in], W is [out, in], y is [batch, out], all row-major.
extension Reference {
    static func linear(_ g: LinearGeometry, x: [Float], weight: [Float], bias: [Float]?, activation: Activation?) -> [Float] {
        var y = [Float](repeating: 0, count: g.batch * g.outFeatures)
        for n in 0..<g.batch {
            for o in 0..<g.outFeatures {
                var sum = 0.0
                for k in 0..<g.inFeatures {
                    sum += Double(x[n * g.inFeatures + k]) * Double(weight[o * g.inFeatures + k])
                }
                y[n * g.outFeatures + o] = activate(activation, Float(sum + Double(bias?[o] ?? 0)))
            }
        }
        return y
    }

    static func linearBackwardData(_ g: LinearGeometry, dy: [Float], weight: [Float]) -> [Float] {
        var dx = [Float](repeating: 0, count: g.batch * g.inFeatures)
        for n in 0..<g.batch {
            for k in 0..<g.inFeatures {
                var sum = 0.0
                for o in 0..<g.outFeatures {
                    sum += Double(dy[n * g.outFeatures + o]) * Double(weight[o * g.inFeatures + k])
                }
                dx[n * g.inFeatures + k] = Float(sum)
            }
        }
        return dx
    }

    static func linearBackwardFilter(_ g: LinearGeometry, x: [Float], dy: [Float]) -> (dWeight: [Float], dBias: [Float]) {
        var dw = [Float](repeating: 0, count: g.outFeatures * g.inFeatures)
        var db = [Float](repeating: 0, count: g.outFeatures)
        for o in 0..<g.outFeatures {
            for k in 0..<g.inFeatures {
                var sum = 0.0
                for n in 0..<g.batch {
                    sum += Double(dy[n * g.outFeatures + o]) * Double(x[n * g.inFeatures + k])
                }
                dw[o * g.inFeatures + k] = Float(sum)
            }
            var sum = 0.0
            for n in 0..<g.batch { sum += Double(dy[n * g.outFeatures + o]) }
            db[o] = Float(sum)
        }
        return (dw, db)
    }
}
