import NetIR

/// A reordering of each sample's dimensions: output dimension k is input dimension `order[k]` of `dims`.
public struct PermuteGeometry: Hashable, Codable, Sendable {
    public var batch: Int
    /// The input's per-sample dimensions.
    public var dims: [Int]
    public var order: [Int]

    public init(batch: Int, dims: [Int], order: [Int]) { self.batch = batch; self.dims = dims; self.order = order }

    public var perSample: Int { dims.reduce(1, *) }
    public var outputDims: [Int] { order.map { dims[$0] } }

    /// The permutation back: applied to the output's gradient it gives the input's.
    public var inverse: PermuteGeometry {
        var back = [Int](repeating: 0, count: order.count)
        for (k, d) in order.enumerated() { back[d] = k }
        return PermuteGeometry(batch: batch, dims: outputDims, order: back)
    }

    /// The form kernels take: `Layer.permuteRank` output dimensions (leading ones padded with 1) and, for each,
    /// the stride of the input dimension it walks. Element (i0, i1, i2, i3) of the output of a sample reads input
    /// element Σ ik · strides[k] of that sample.
    public var kernelForm: (dims: [Int], strides: [Int]) {
        var inputStrides = [Int](repeating: 1, count: dims.count)
        for k in stride(from: dims.count - 2, through: 0, by: -1) { inputStrides[k] = inputStrides[k + 1] * dims[k + 1] }
        let pad = Layer.permuteRank - order.count
        return ([Int](repeating: 1, count: pad) + outputDims, [Int](repeating: 0, count: pad) + order.map { inputStrides[$0] })
    }
}
