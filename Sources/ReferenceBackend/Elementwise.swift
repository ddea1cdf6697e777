import Foundation
import Engine
import NetIR

/// Activations, dropout, add, concat and softmax: element by element, in Double, rounded once to Float.
extension Reference {
    /// `act(x)` by the registry's definition (NetIR/Activation.swift); no activation is the identity.
    static func activate(_ a: Activation?, _ value: Float) -> Float {
        guard let a else { return value }
        return Float(a.forward(Double(value)))
    }

    /// d act / d x, from the output y (`fromOutput`) or from the input x, by the registry's definition.
    /// Activations without an output form never get here: `ReferenceExecutor.validate` refuses them.
    static func derivative(_ a: Activation, fromOutput: Bool, _ value: Float) -> Double {
        guard fromOutput else { return a.derivative(Double(value)) }
        guard let d = a.derivative(fromOutput: Double(value)) else {
            preconditionFailure("\(a) cannot be differentiated from its output")
        }
        return d
    }

    static func activationBackward(_ a: Activation, fromOutput: Bool, value: [Float], dy: [Float]) -> [Float] {
        value.indices.map { Float(Double(dy[$0]) * derivative(a, fromOutput: fromOutput, value[$0])) }
    }

    /// mask[e] = keep ? 1/(1-p) : 0 with keep = uniform(seed, step, salt, e) >= p.
    static func dropoutMask(count: Int, p: Float, seed: UInt32, step: Int, salt: UInt32) -> [Float] {
        let scale = 1 / (1 - p)
        return (0..<count).map { e in
            let u = CounterRandom.uniform(seed: seed, step: UInt32(truncatingIfNeeded: step), salt: salt,
                                          index: UInt32(truncatingIfNeeded: e))
            return u >= p ? scale : 0
        }
    }

    static func multiply(_ a: [Float], _ b: [Float]) -> [Float] { a.indices.map { a[$0] * b[$0] } }

    /// y[r·inner + e] = a[r·inner + e] · b[r] (per row) or · b[r·inner + e].
    static func multiply(_ g: MultiplyGeometry, _ a: [Float], _ b: [Float]) -> [Float] {
        (0..<g.count).map { k in a[k] * b[g.perRow ? k / g.inner : k] }
    }

    /// d[r] = Σ_e dy[r·inner + e] · other[r·inner + e], summed in Double.
    static func rowDot(_ g: MultiplyGeometry, _ dy: [Float], _ other: [Float]) -> [Float] {
        (0..<g.outer).map { r in
            Float((0..<g.inner).reduce(0.0) { $0 + Double(dy[r * g.inner + $1]) * Double(other[r * g.inner + $1]) })
        }
    }

    static func add(_ inputs: [[Float]], activation: Activation?) -> [Float] {
        let count = inputs.first?.count ?? 0
        return (0..<count).map { e in activate(activation, Float(inputs.reduce(0.0) { $0 + Double($1[e]) })) }
    }

    /// Input k fills channels channelStart(k) ..< channelStart(k) + channels[k] of every sample.
    static func concat(_ g: ConcatGeometry, _ inputs: [[Float]]) -> [Float] {
        var y = [Float](repeating: 0, count: g.batch * g.totalChannels * g.spatial)
        var start = 0
        for (k, x) in inputs.enumerated() {
            let c = g.channels[k]
            for n in 0..<g.batch {
                for e in 0..<(c * g.spatial) { y[(n * g.totalChannels + start) * g.spatial + e] = x[n * c * g.spatial + e] }
            }
            start += c
        }
        return y
    }

    static func concatBackward(_ g: ConcatGeometry, dy: [Float]) -> [[Float]] {
        var start = 0
        return g.channels.map { c in
            var dx = [Float](repeating: 0, count: g.batch * c * g.spatial)
            for n in 0..<g.batch {
                for e in 0..<(c * g.spatial) { dx[n * c * g.spatial + e] = dy[(n * g.totalChannels + start) * g.spatial + e] }
            }
            start += c
            return dx
        }
    }

    /// Log of Σ_k exp(row[k]), shifted by the row's maximum so exp never overflows.
    static func logSumExp(_ row: ArraySlice<Float>) -> Double {
        let top = Double(row.max() ?? 0)
        return top + log(row.reduce(0.0) { $0 + exp(Double($1) - top) })
    }

    static func softmax(batch: Int, classes: Int, log: Bool, x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            let row = x[(n * classes)..<((n + 1) * classes)]
            let lse = logSumExp(row)
            for k in row.indices { y[k] = Float(log ? Double(x[k]) - lse : exp(Double(x[k]) - lse)) }
        }
        return y
    }

    /// softmax: dx = y·(dy - Σ dy·y); log-softmax: dx = dy - eʸ·Σ dy.
    static func softmaxBackward(batch: Int, classes: Int, log: Bool, y: [Float], dy: [Float]) -> [Float] {
        var dx = [Float](repeating: 0, count: y.count)
        for n in 0..<batch {
            let row = (n * classes)..<((n + 1) * classes)
            if log {
                let total = row.reduce(0.0) { $0 + Double(dy[$1]) }
                for k in row { dx[k] = Float(Double(dy[k]) - exp(Double(y[k])) * total) }
            } else {
                let dot = row.reduce(0.0) { $0 + Double(dy[$1]) * Double(y[$1]) }
                for k in row { dx[k] = Float(Double(y[k]) * (Double(dy[k]) - dot)) }
            }
        }
        return dx
    }
}
