import Foundation
import Engine
import NetIR

/// batchNorm (training and eval) and its backward, per channel c over the m = batch·spatial values
/// x[n, c, s]. Statistics are two-pass Double sums.
extension Reference {
    struct BatchNormResult {
        var y: [Float]
        var savedMean: [Float]
        var savedInvStd: [Float]
        var runningMean: [Float]
        var runningVar: [Float]
    }

    struct BatchNormGradients {
        var dx: [Float]
        var dScale: [Float]
        var dShift: [Float]
    }

    @inline(__always)
    static func bnIndex(_ g: BatchNormGeometry, _ n: Int, _ c: Int, _ s: Int) -> Int {
        (n * g.channels + c) * g.spatial + s
    }

    static func batchNorm(_ g: BatchNormGeometry, training: Bool, x: [Float], scale: [Float]?, shift: [Float]?,
                          runningMean: [Float], runningVar: [Float], activation: Activation?) -> BatchNormResult {
        let m = g.batch * g.spatial
        let eps = Double(g.eps), momentum = Double(g.momentum)
        var r = BatchNormResult(y: [Float](repeating: 0, count: x.count),
                                savedMean: [Float](repeating: 0, count: g.channels),
                                savedInvStd: [Float](repeating: 0, count: g.channels),
                                runningMean: runningMean, runningVar: runningVar)
        for c in 0..<g.channels {
            let mean: Double, invStd: Double
            if training {
                var sum = 0.0
                for n in 0..<g.batch { for s in 0..<g.spatial { sum += Double(x[bnIndex(g, n, c, s)]) } }
                mean = sum / Double(m)
                var squares = 0.0
                for n in 0..<g.batch {
                    for s in 0..<g.spatial {
                        let d = Double(x[bnIndex(g, n, c, s)]) - mean
                        squares += d * d
                    }
                }
                let variance = squares / Double(m)   // biased: what normalises the batch
                invStd = 1 / (variance + eps).squareRoot()
                let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
                r.savedMean[c] = Float(mean)
                r.savedInvStd[c] = Float(invStd)
                r.runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * mean)
                r.runningVar[c] = Float((1 - momentum) * Double(runningVar[c]) + momentum * unbiased)
            } else {
                mean = Double(runningMean[c])
                invStd = 1 / (Double(runningVar[c]) + eps).squareRoot()
            }
            let gamma = Double(scale?[c] ?? 1), beta = Double(shift?[c] ?? 0)
            for n in 0..<g.batch {
                for s in 0..<g.spatial {
                    let k = bnIndex(g, n, c, s)
                    let xhat = (Double(x[k]) - mean) * invStd
                    r.y[k] = activate(activation, Float(gamma * xhat + beta))
                }
            }
        }
        return r
    }

    /// dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·invstd·(dy - dβ/m - x̂·dγ/m), with x̂ rebuilt from the saved mean and invstd.
    static func batchNormBackward(_ g: BatchNormGeometry, x: [Float], dy: [Float], scale: [Float]?,
                                  savedMean: [Float], savedInvStd: [Float]) -> BatchNormGradients {
        let m = Double(g.batch * g.spatial)
        var r = BatchNormGradients(dx: [Float](repeating: 0, count: x.count),
                                   dScale: [Float](repeating: 0, count: g.channels),
                                   dShift: [Float](repeating: 0, count: g.channels))
        for c in 0..<g.channels {
            let mean = Double(savedMean[c]), invStd = Double(savedInvStd[c])
            var dGamma = 0.0, dBeta = 0.0
            for n in 0..<g.batch {
                for s in 0..<g.spatial {
                    let k = bnIndex(g, n, c, s)
                    dGamma += Double(dy[k]) * (Double(x[k]) - mean) * invStd
                    dBeta += Double(dy[k])
                }
            }
            r.dScale[c] = Float(dGamma)
            r.dShift[c] = Float(dBeta)
            let gamma = Double(scale?[c] ?? 1)
            for n in 0..<g.batch {
                for s in 0..<g.spatial {
                    let k = bnIndex(g, n, c, s)
                    let xhat = (Double(x[k]) - mean) * invStd
                    r.dx[k] = Float(gamma * invStd * (Double(dy[k]) - dBeta / m - xhat * dGamma / m))
                }
            }
        }
        return r
    }
}
