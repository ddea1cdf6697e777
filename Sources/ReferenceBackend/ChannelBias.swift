import Engine

/// channelBias and its backward: `y = x + b[c]` on every element of channel c; `dB[c] = Σ_{n, s} dy[n, c, s]`.
extension Reference {
    static func channelBias(_ g: BiasGeometry, x: [Float], bias: [Float]) -> [Float] {
        x.indices.map { Float(Double(x[$0]) + Double(bias[($0 / g.spatial) % g.channels])) }
    }

    static func channelBiasBackward(_ g: BiasGeometry, dy: [Float]) -> [Float] {
        var sums = [Double](repeating: 0, count: g.channels)
        for k in dy.indices { sums[(k / g.spatial) % g.channels] += Double(dy[k]) }
        return sums.map { Float($0) }
    }
}
