import Engine

/// PReLU and its backward (docs/ops.md "prelu"): PyTorch's choice at 0 (the slope side), slope sums in Double.
extension Reference {
    static func prelu(_ g: PReLUGeometry, x: [Float], slopes: [Float]) -> [Float] {
        x.indices.map { i in x[i] > 0 ? x[i] : slopes[g.slope(of: i)] * x[i] }
    }

    static func preluBackward(_ g: PReLUGeometry, x: [Float], dy: [Float], slopes: [Float]) -> (dx: [Float], dSlopes: [Float]) {
        var dSlopes = [Double](repeating: 0, count: g.slopes)
        let dx = x.indices.map { i -> Float in
            if x[i] > 0 { return dy[i] }
            dSlopes[g.slope(of: i)] += Double(x[i]) * Double(dy[i])
            return slopes[g.slope(of: i)] * dy[i]
        }
        return (dx, dSlopes.map { Float($0) })
    }
}
