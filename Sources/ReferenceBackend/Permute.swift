import Engine

/// permute: output element (n, i0, i1, i2, i3) of `PermuteGeometry.kernelForm` is input element
/// n · perSample + Σ ik · strides[k].
extension Reference {
    static func permute(_ g: PermuteGeometry, x: [Float]) -> [Float] {
        let (d, s) = g.kernelForm
        var y: [Float] = []
        y.reserveCapacity(x.count)
        for n in 0..<g.batch {
            for i0 in 0..<d[0] { for i1 in 0..<d[1] { for i2 in 0..<d[2] { for i3 in 0..<d[3] {
                y.append(x[n * g.perSample + i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]])
            } } } }
        }
        return y
    }
}
