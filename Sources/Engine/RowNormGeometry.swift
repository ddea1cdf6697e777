import NetIR

/// Normalisation over rows (GroupNorm, InstanceNorm, LayerNorm): `rows` rows of `inner` contiguous elements,
/// each normalised by its own mean and biased variance, `x̂ = (x - mean) / √(var + eps)`, then `y = γ x̂ + β`.
/// Element e of row r takes affine parameter `k = ((r % period) · inner + e) / divisor`, so one geometry covers
/// GroupNorm's per-channel affine (period = groups, divisor = spatial) and LayerNorm's per-element one
/// (period = divisor = 1). The same computation trains and evaluates (no running statistics).
public struct RowNormGeometry: Hashable, Codable, Sendable {
    public var rows, inner, period, divisor: Int
    public var eps: Float
    public init(rows: Int, inner: Int, period: Int, divisor: Int, eps: Float) {
        self.rows = rows; self.inner = inner; self.period = period; self.divisor = divisor; self.eps = eps
    }

    public var count: Int { rows * inner }
    /// Affine parameters (γ and β each have this many).
    public var parameterCount: Int { period * inner / divisor }

    /// The affine parameter of element `e` of row `r`.
    @inline(__always) public func parameter(row r: Int, element e: Int) -> Int { ((r % period) * inner + e) / divisor }

    /// The geometry of a GroupNorm or LayerNorm layer over `batch` samples of `shape`; nil for other layers.
    public init?(batch: Int, input shape: TensorShape, layer: Layer) {
        switch layer {
        case .groupNorm(let a):
            let spatial = shape.count / a.channels
            self.init(rows: batch * a.groups, inner: a.channels / a.groups * spatial, period: a.groups, divisor: spatial, eps: a.eps)
        case .layerNorm(let a):
            self.init(rows: batch * (shape.count / a.count), inner: a.count, period: 1, divisor: 1, eps: a.eps)
        default:
            return nil
        }
    }
}
