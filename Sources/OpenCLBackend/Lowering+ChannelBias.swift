import Engine

/// channelBias (Kernels/bias.cl) and its backward, conv.cl's channel_sum (one work-group per channel), the
/// kernel that already sums convolution bias gradients.
extension Lowering {
    func lowerChannelBias(_ g: BiasGeometry, x: TensorRef, bias: TensorRef, y: TensorRef) -> [Launch] {
        [elementwise("bias.cl", "channel_bias", count: g.count,
                     ref(x) + ref(bias) + ref(y) + [.int(g.count), .int(g.channels), .int(g.spatial)])]
    }

    func lowerChannelBiasBackward(_ g: BiasGeometry, dy: TensorRef, db: TensorRef, accumulate: Bool) -> [Launch] {
        guard db.isPresent else { return [] }
        return [reduction("conv.cl", "channel_sum", groups: g.channels,
                          ref(dy) + ref(db) + [.int(g.channels), .int(g.spatial), .int(g.batch), flag(accumulate)])]
    }
}
