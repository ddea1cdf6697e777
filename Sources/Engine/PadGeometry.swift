import NetIR

/// Pad over `planes` NCHW planes of inHeight x inWidth into outHeight x outWidth, `top` rows and `left` columns
/// in front (the bottom and right amounts are what remains). Output (oh, ow) copies input
/// (`PadAttributes.source(oh, top, inHeight)`, the same for columns) or is `value` where that is nil.
public struct PadGeometry: Hashable, Codable, Sendable {
    public var planes, inHeight, inWidth, outHeight, outWidth, top, left: Int
    public var mode: PadMode
    public var value: Float

    public init(batch: Int, input: TensorShape, attributes a: PadAttributes) {
        planes = batch * input.channels
        inHeight = input.height; inWidth = input.width
        outHeight = input.height + a.top + a.bottom; outWidth = input.width + a.left + a.right
        top = a.top; left = a.left; mode = a.mode; value = a.value
    }

    /// The input element (ih·W + iw within its plane) output (oh, ow) copies, or nil for the constant fill.
    @inline(__always)
    public func source(_ oh: Int, _ ow: Int) -> Int? {
        guard let ih = PadAttributes.source(oh, before: top, size: inHeight, mode: mode),
              let iw = PadAttributes.source(ow, before: left, size: inWidth, mode: mode) else { return nil }
        return ih * inWidth + iw
    }
}
