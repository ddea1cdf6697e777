import Foundation
import Engine

/// localResponseNorm (LocalResponseNorm, F.normalize) and its backward (docs/ops.md "localResponseNorm"), each
/// window summed directly in Double.
extension Reference {
    /// D = k + α·Σ_{window} x² for every element, in Double.
    static func denominatorBase(_ g: ChannelWindowGeometry, x: [Float]) -> [Double] {
        x.indices.map { i in
            let n = i / (g.channels * g.spatial), c = (i / g.spatial) % g.channels, s = i % g.spatial
            return Double(g.k) + Double(g.alpha) * g.window(c).reduce(0.0) {
                let v = Double(x[(n * g.channels + $1) * g.spatial + s]); return $0 + v * v
            }
        }
    }

    static func localResponseNorm(_ g: ChannelWindowGeometry, x: [Float]) -> (y: [Float], base: [Float]) {
        let d = denominatorBase(g, x: x)
        return (x.indices.map { Float(Double(x[$0]) * pow(d[$0], -Double(g.beta))) }, d.map { Float($0) })
    }

    /// dx_j = dy_j·D_j^(-β) - 2αβ·x_j·Σ_{c : j ∈ window(c)} dy_c·x_c·D_c^(-β-1), with D recomputed in Double.
    static func localResponseNormBackward(_ g: ChannelWindowGeometry, x: [Float], dy: [Float]) -> [Float] {
        let d = denominatorBase(g, x: x), beta = Double(g.beta)
        return x.indices.map { i in
            let n = i / (g.channels * g.spatial), j = (i / g.spatial) % g.channels, s = i % g.spatial
            var sum = 0.0
            for c in 0..<g.channels where g.window(c).contains(j) {
                let at = (n * g.channels + c) * g.spatial + s
                sum += Double(dy[at]) * Double(x[at]) * pow(d[at], -beta - 1)
            }
            return Float(Double(dy[i]) * pow(d[i], -beta) - 2 * Double(g.alpha) * beta * Double(x[i]) * sum)
        }
    }
}
