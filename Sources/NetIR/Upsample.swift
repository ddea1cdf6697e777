/// `nn.Upsample` / `F.interpolate` over images: nearest or bilinear (`align_corners=False`), to a fixed `size` or
/// by integer `scale` factors (what the source wrote, so that it is emitted back the same way).
public struct UpsampleAttributes: Hashable, Codable, Sendable {
    /// The output's height and width when the source gave `size=`; nil when it gave `scale_factor=`.
    public var size: Pair?
    /// Integer scale factors per side, used when `size` is nil.
    public var scale: Pair
    /// Bilinear (`mode='bilinear'`, `align_corners=False`); nearest otherwise.
    public var bilinear: Bool

    public init(size: Pair? = nil, scale: Pair = Pair(1), bilinear: Bool = false) {
        self.size = size; self.scale = scale; self.bilinear = bilinear
    }

    /// The output `[C, H', W']` for an input `[C, H, W]`.
    public func output(for x: TensorShape) -> TensorShape {
        let h = size?.h ?? x.height * scale.h, w = size?.w ?? x.width * scale.w
        return TensorShape(channels: x.channels, height: h, width: w)
    }
}
