import Engine

/// upsample / upsampleBackward: Kernels/upsample.cl, one work-item per output element forward and per (plane,
/// input row) backward. The scales are computed here in Float, as `UpsampleGeometry.taps` computes them.
extension Lowering {
    private func upsampleArguments(_ g: UpsampleGeometry) -> [LaunchArg] {
        [.int(g.planes), .int(g.inHeight), .int(g.inWidth), .int(g.outHeight), .int(g.outWidth),
         .float(Float(g.inHeight) / Float(g.outHeight)), .float(Float(g.inWidth) / Float(g.outWidth)), flag(g.bilinear)]
    }

    func lowerUpsample(_ g: UpsampleGeometry, x: TensorRef, y: TensorRef) -> [Launch] {
        [elementwise("upsample.cl", "upsample_forward", count: g.planes * g.outHeight * g.outWidth,
                     ref(x) + ref(y) + upsampleArguments(g))]
    }

    func lowerUpsampleBackward(_ g: UpsampleGeometry, dy: TensorRef, dx: TensorRef, accumulate: Bool) -> [Launch] {
        guard dx.isPresent else { return [] }
        return [elementwise("upsample.cl", "upsample_backward", count: g.planes * g.inHeight,
                            ref(dy) + ref(dx) + [flag(accumulate)] + upsampleArguments(g))]
    }
}
