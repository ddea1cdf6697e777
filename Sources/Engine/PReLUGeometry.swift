import NetIR

/// PReLU over `batch` samples of `channels` planes of `spatial` elements: `y = x > 0 ? x : a·x` with `a` one slope
/// for everything (`slopes == 1`) or the slope of the element's channel.
public struct PReLUGeometry: Hashable, Codable, Sendable {
    public var batch, channels, spatial, slopes: Int
    public init(batch: Int, channels: Int, spatial: Int, slopes: Int) {
        self.batch = batch; self.channels = channels; self.spatial = spatial; self.slopes = slopes
    }

    public var count: Int { batch * channels * spatial }

    /// The slope of element `i` (NCHW order).
    @inline(__always) public func slope(of i: Int) -> Int { slopes == 1 ? 0 : (i / spatial) % channels }

    public init(batch: Int, input x: TensorShape, slopes: Int) {
        self.init(batch: batch, channels: x.channels, spatial: x.count / max(x.channels, 1), slopes: slopes)
    }
}
