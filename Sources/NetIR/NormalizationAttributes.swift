/// `nn.GroupNorm(num_groups, num_channels)`, and `nn.InstanceNorm2d(C)` as `groups == channels`: each sample's
/// channels split in `groups` groups, each group normalised by its own mean and biased variance over its
/// channels and spatial positions; the affine (`weight`, `bias` of `[channels]`) is per channel. No running
/// statistics: training and evaluation compute the same thing.
public struct GroupNormAttributes: Hashable, Codable, Sendable {
    public var groups: Int
    public var channels: Int
    public var eps: Float
    public var affine: Bool

    public init(groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) {
        self.groups = groups; self.channels = channels; self.eps = eps; self.affine = affine
    }
}

/// `nn.LayerNorm(normalized_shape)`: each sample's trailing dimensions `shape` are normalised by their own mean
/// and biased variance; the affine (`weight`, and `bias` unless `bias=False`, both of `shape`) is per element.
public struct LayerNormAttributes: Hashable, Codable, Sendable {
    public var shape: [Int]
    public var eps: Float
    /// PyTorch's `elementwise_affine`.
    public var affine: Bool
    /// A `bias` parameter besides the weight; false whenever `affine` is (PyTorch then has neither).
    public var bias: Bool

    public init(shape: [Int], eps: Float = 1e-5, affine: Bool = true, bias: Bool = true) {
        self.shape = shape; self.eps = eps; self.affine = affine; self.bias = affine && bias
    }

    /// Elements normalised together.
    public var count: Int { shape.reduce(1, *) }
}

/// `nn.LocalResponseNorm(size, alpha, beta, k)`: `y_c = x_c / (k + alpha/size · Σ x_{c'}²)^beta` over the
/// channels `c - size/2 ... c + (size-1)/2` that exist (PyTorch's window), at each sample and position.
public struct LocalResponseNormAttributes: Hashable, Codable, Sendable {
    public var size: Int
    public var alpha: Float
    public var beta: Float
    public var k: Float

    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.k = k
    }
}
