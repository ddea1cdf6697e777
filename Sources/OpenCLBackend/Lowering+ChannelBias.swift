import Engine

/// channelBias (Kernels/bias.cl) and its backward, conv.cl's channel_sum (Lowering.channelSum), the
/// kernel that already sums convolution bias gradients.
extension Lowering {
    func lowerChannelBias(_ g: BiasGeometry, x: TensorRef, bias: TensorRef, y: TensorRef) -> [Launch] {
        [elementwise("bias.cl", "channel_bias", count: g.count,
                     ref(x) + ref(bias) + ref(y) + [.int(g.count), .int(g.channels), .int(g.spatial)])]
    }

    mutating func lowerChannelBiasBackward(_ g: BiasGeometry, dy: TensorRef, db: TensorRef, accumulate: Bool) -> [Launch] {
        guard db.isPresent else { return [] }
        return channelSum(dy, into: db, channels: g.channels, inner: g.spatial, outer: g.batch, accumulate: accumulate)
    }
}
