/// How `Pad` fills the border: a constant (`F.pad`'s default, `ZeroPad2d`, `ConstantPad2d`), the mirror image
/// without the edge (`ReflectionPad2d`, `padding_mode='reflect'`) or the edge repeated (`ReplicationPad2d`).
public enum PadMode: String, Hashable, Codable, Sendable {
    case constant, reflect, replicate
}

/// Per-side padding of the two spatial dimensions of an NCHW tensor, in `F.pad`'s order (left, right, top, bottom).
public struct PadAttributes: Hashable, Codable, Sendable {
    public var left, right, top, bottom: Int
    public var mode: PadMode
    /// The fill of `.constant` (0 for zero padding); unused by the other modes.
    public var value: Float

    public init(left: Int, right: Int, top: Int, bottom: Int, mode: PadMode = .constant, value: Float = 0) {
        self.left = left; self.right = right; self.top = top; self.bottom = bottom; self.mode = mode
        self.value = mode == .constant ? value : 0
    }

    public init(_ all: Int, mode: PadMode = .constant, value: Float = 0) {
        self.init(left: all, right: all, top: all, bottom: all, mode: mode, value: value)
    }

    /// The input index output index `o` copies along one dimension of `size` with `before` padded in front, or
    /// nil where `.constant` fills. Reflect mirrors about the edge element (`-1 -> 1`), replicate clamps; both
    /// need at most one reflection, which `ShapeInference` guarantees (reflect padding < size, PyTorch's rule).
    @inline(__always)
    public static func source(_ o: Int, before: Int, size: Int, mode: PadMode) -> Int? {
        let i = o - before
        if i >= 0 && i < size { return i }
        switch mode {
        case .constant: return nil
        case .reflect: return i < 0 ? -i : 2 * (size - 1) - i
        case .replicate: return i < 0 ? 0 : size - 1
        }
    }
}
