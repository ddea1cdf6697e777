import NetIR

/// Normalisation across channels (LocalResponseNorm, and `F.normalize` over dim 1): at each sample n and
/// position s, `D_c = k + alpha · Σ_{c' = c-before ... c+after, within 0..<channels} x_{c'}²` and
/// `y_c = x_c · D_c^(-beta)`. `alpha` is already divided by the window size, as PyTorch's average pool divides.
public struct ChannelWindowGeometry: Hashable, Codable, Sendable {
    public var batch, channels, spatial, before, after: Int
    public var alpha, beta, k: Float
    public init(batch: Int, channels: Int, spatial: Int, before: Int, after: Int, alpha: Float, beta: Float, k: Float) {
        self.batch = batch; self.channels = channels; self.spatial = spatial; self.before = before; self.after = after
        self.alpha = alpha; self.beta = beta; self.k = k
    }

    public var count: Int { batch * channels * spatial }

    /// LocalResponseNorm's window (PyTorch pads size/2 channels before and (size-1)/2 after), or F.normalize as
    /// the window over every channel with alpha 1, beta 1/2 and k = eps²: `x / √(eps² + ‖x‖²)`, which is
    /// PyTorch's `x / max(‖x‖, eps)` to Float rounding except for norms within a few orders of eps (and equal
    /// at 0, value and gradient). Nil for other layers.
    public init?(batch: Int, input x: TensorShape, layer: Layer) {
        let channels = x.channels, spatial = x.count / max(x.channels, 1)
        switch layer {
        case .localResponseNorm(let a):
            self.init(batch: batch, channels: channels, spatial: spatial, before: a.size / 2, after: (a.size - 1) / 2,
                      alpha: a.alpha / Float(a.size), beta: a.beta, k: a.k)
        case .l2Normalize(let eps):
            self.init(batch: batch, channels: channels, spatial: spatial, before: channels - 1, after: channels - 1,
                      alpha: 1, beta: 0.5, k: eps * eps)
        default:
            return nil
        }
    }

    /// The channels in channel c's window.
    @inline(__always) public func window(_ c: Int) -> ClosedRange<Int> { max(0, c - before)...min(channels - 1, c + after) }
}
