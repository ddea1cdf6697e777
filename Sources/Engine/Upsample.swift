import NetIR

/// Nearest or bilinear resizing of `batch * channels` planes from `inHeight x inWidth` to `outHeight x outWidth`.
public struct UpsampleGeometry: Hashable, Codable, Sendable {
    public var batch, channels, inHeight, inWidth, outHeight, outWidth: Int
    public var bilinear: Bool

    public init(batch: Int, input: TensorShape, output: TensorShape, bilinear: Bool) {
        self.batch = batch; channels = input.channels
        inHeight = input.height; inWidth = input.width; outHeight = output.height; outWidth = output.width
        self.bilinear = bilinear
    }

    public var planes: Int { batch * channels }

    /// PyTorch's source taps for output index `o` along one side (`input` -> `output` elements), in Float as
    /// PyTorch computes them, with `scale = input / output`: nearest reads `i0 = min(floor(o * scale), input - 1)`
    /// (weight 1, `i1 = i0`, `w1 = 0`); bilinear with `align_corners=False` reads `src = max(scale * (o + 0.5) - 0.5,
    /// 0)` between `i0 = floor(src)` and `i1 = min(i0 + 1, input - 1)` with weights `1 - w1` and `w1 = src - i0`.
    /// Kernels/upsample.cl computes the same in OpenCL C.
    public static func taps(_ o: Int, input: Int, output: Int, bilinear: Bool) -> (i0: Int, i1: Int, w1: Float) {
        let scale = Float(input) / Float(output)
        if !bilinear {
            let i = min(Int((Float(o) * scale).rounded(.down)), input - 1)
            return (i, i, 0)
        }
        let src = max(scale * (Float(o) + 0.5) - 0.5, 0)
        let i0 = Int(src)
        let i1 = i0 < input - 1 ? i0 + 1 : i0
        return (i0, i1, src - Float(i0))
    }
}
