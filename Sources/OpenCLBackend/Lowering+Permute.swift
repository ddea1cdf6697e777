import Engine

/// permute: Kernels/permute.cl, one work-item per output element, the geometry in one int16.
extension Lowering {
    func lowerPermute(_ g: PermuteGeometry, x: TensorRef, y: TensorRef, accumulate: Bool) -> [Launch] {
        guard y.isPresent else { return [] }
        let (d, s) = g.kernelForm
        let geo = d + s + [Int](repeating: 0, count: 16 - d.count - s.count)
        return [elementwise("permute.cl", "permute", count: y.count,
                            ref(x) + ref(y) + [.int(y.count), .int(g.perSample), flag(accumulate), .int16(geo)])]
    }
}
