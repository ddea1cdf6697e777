/// A height/width pair (kernel size, stride, padding, dilation).
public struct Pair: Hashable, Codable, Sendable, CustomStringConvertible {
    public var h: Int
    public var w: Int
    public init(_ h: Int, _ w: Int) { self.h = h; self.w = w }
    public init(_ both: Int) { h = both; w = both }
    public var description: String { h == w ? "\(h)" : "(\(h), \(w))" }
}

public struct Conv2dAttributes: Hashable, Codable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Pair
    public var stride: Pair
    public var padding: Pair
    public var dilation: Pair
    public var groups: Int
    public var bias: Bool

    public init(inChannels: Int, outChannels: Int, kernel: Pair, stride: Pair = Pair(1), padding: Pair = Pair(0),
                dilation: Pair = Pair(1), groups: Int = 1, bias: Bool = true) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.padding = padding; self.dilation = dilation; self.groups = groups; self.bias = bias
    }
}

public struct Pool2dAttributes: Hashable, Codable, Sendable {
    public var kernel: Pair
    public var stride: Pair
    public var padding: Pair
    /// AvgPool2d only: padded zeros count in the divisor (PyTorch's default `count_include_pad=True`).
    public var countIncludePad: Bool
    /// `ceil_mode=True`: the output size rounds up (one more window that may run past the input), except that
    /// the last window must start inside the input or its left padding (PyTorch's rule).
    public var ceilMode: Bool

    public init(kernel: Pair, stride: Pair? = nil, padding: Pair = Pair(0), countIncludePad: Bool = true, ceilMode: Bool = false) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding; self.countIncludePad = countIncludePad
        self.ceilMode = ceilMode
    }

    /// Output size along one dimension (PyTorch's `pooling_output_shape` without dilation).
    public static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = input + 2 * padding - kernel
        var size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (size - 1) * stride >= input + padding { size -= 1 }
        return size
    }
}

extension Pool2dAttributes {
    private enum CodingKeys: String, CodingKey { case kernel, stride, padding, countIncludePad, ceilMode }

    /// Graphs saved before `ceilMode` existed decode with it off.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kernel: try c.decode(Pair.self, forKey: .kernel), stride: try c.decode(Pair.self, forKey: .stride),
                  padding: try c.decode(Pair.self, forKey: .padding), countIncludePad: try c.decode(Bool.self, forKey: .countIncludePad),
                  ceilMode: try c.decodeIfPresent(Bool.self, forKey: .ceilMode) ?? false)
    }
}

public struct BatchNormAttributes: Hashable, Codable, Sendable {
    public var features: Int
    /// 1 for BatchNorm1d over `[F]`, 2 for BatchNorm2d over `[C, H, W]`.
    public var dimensions: Int
    public var eps: Float
    public var momentum: Float
    public var affine: Bool

    public init(features: Int, dimensions: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        self.features = features; self.dimensions = dimensions; self.eps = eps; self.momentum = momentum; self.affine = affine
    }
}

/// One layer of the IR. Parameterised layers own their parameters under the node's `module` path.
public enum Layer: Hashable, Codable, Sendable {
    case input
    case conv2d(Conv2dAttributes)
    case linear(inFeatures: Int, outFeatures: Int, bias: Bool)
    case batchNorm(BatchNormAttributes)
    case activation(Activation)
    case maxPool2d(Pool2dAttributes)
    case avgPool2d(Pool2dAttributes)
    case adaptiveAvgPool2d(outHeight: Int, outWidth: Int)
    case dropout(p: Float)
    /// `nn.Dropout2d`: zeroes whole channels (one draw per sample and channel), scaling the rest by 1/(1-p).
    case dropout2d(p: Float)
    /// Flattens every dimension after the batch (`torch.flatten(x, 1)`, `x.view(x.size(0), -1)`).
    case flatten
    /// A view with the same elements per sample in another shape (`x.view(b, c, 1, 1)`, `unsqueeze`, `squeeze`).
    case reshape(dims: [Int])
    case add
    /// Concatenation along the channel dimension (`torch.cat([a, b], dim=1)`).
    case concat
    case identity
    /// Element-wise product `a * b` (`torch.mul`); the second input is `a`'s shape or per channel
    /// (`[C, 1, 1]` against `[C, H, W]`: squeeze-excitation gates), as PyTorch broadcasts it.
    case multiply
    /// `scale * x + shift` with constants (`x * 0.5`, `x / 2`, `x - 1`, `-x`, and `b` in `a - b`).
    case affine(scale: Float, shift: Float)
    case softmax
    case logSoftmax
    /// `nn.GroupNorm` and `nn.InstanceNorm2d` (one group per channel).
    case groupNorm(GroupNormAttributes)
    /// `nn.LayerNorm` / `F.layer_norm` over the trailing dimensions.
    case layerNorm(LayerNormAttributes)
    /// `nn.PReLU(num_parameters)`: `x > 0 ? x : a·x` with a learnable slope `a`, one for all channels or one per
    /// channel (dimension 1 of the batched tensor).
    case prelu(slopes: Int)
    /// `nn.LocalResponseNorm`: each value divided by a power of the squares of its neighbouring channels.
    case localResponseNorm(LocalResponseNormAttributes)
    /// `F.normalize(x, dim=1)`: `x / max(‖x‖₂, eps)` with the norm over the channels (features) at each position.
    case l2Normalize(eps: Float)
    /// Spatial padding (`F.pad`, `nn.ZeroPad2d`, `ConstantPad2d`, `ReflectionPad2d`, `ReplicationPad2d`); also the
    /// border of `Conv2d(padding_mode='reflect')`, which NetCode parses as Pad(reflect) + Conv2d(padding=0).
    case pad(PadAttributes)
    /// `nn.AdaptiveMaxPool2d`, `F.adaptive_max_pool2d`, `amax` over (2, 3). Output sizes must divide the input's:
    /// then PyTorch's windows are exactly a max pool with kernel = stride = input / output (`exactMaxPool`).
    case adaptiveMaxPool2d(outHeight: Int, outWidth: Int)
    /// `nn.AlphaDropout` (one draw per element) and `nn.FeatureAlphaDropout` (`feature`: one per sample and
    /// channel). Identity in eval; in training PyTorch's `a·(x·keep + α'·(1-keep)) + b` keeping SELU's statistics.
    case alphaDropout(p: Float, feature: Bool)

    /// The PyTorch class name users know (`Conv2d`, `BatchNorm2d`, ...).
    public var typeName: String {
        switch self {
        case .input: return "Input"
        case .conv2d: return "Conv2d"
        case .linear: return "Linear"
        case .batchNorm(let a): return "BatchNorm\(a.dimensions)d"
        case .activation(let a): return a.kind.className
        case .maxPool2d: return "MaxPool2d"
        case .avgPool2d: return "AvgPool2d"
        case .adaptiveAvgPool2d: return "AdaptiveAvgPool2d"
        case .dropout: return "Dropout"
        case .dropout2d: return "Dropout2d"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .add: return "Add"
        case .concat: return "Concat"
        case .identity: return "Identity"
        case .multiply: return "Mul"
        case .affine: return "Affine"
        case .softmax: return "Softmax"
        case .logSoftmax: return "LogSoftmax"
        case .groupNorm: return "GroupNorm"
        case .layerNorm: return "LayerNorm"
        case .prelu: return "PReLU"
        case .localResponseNorm: return "LocalResponseNorm"
        case .l2Normalize: return "Normalize"
        case .pad: return "Pad"
        case .adaptiveMaxPool2d: return "AdaptiveMaxPool2d"
        case .alphaDropout(_, let feature): return feature ? "FeatureAlphaDropout" : "AlphaDropout"
        }
    }

    /// How many inputs the layer takes; nil means two or more.
    public var arity: Int? {
        switch self {
        case .input: return 0
        case .multiply: return 2
        case .add, .concat: return nil
        default: return 1
        }
    }

    /// Conv2d and Linear: the layers that count towards depth and width.
    public var isWeighted: Bool {
        switch self {
        case .conv2d, .linear: return true
        default: return false
        }
    }
}

extension Layer {
    /// The broadcast `a * b` allows (PyTorch's rule, restricted to what the kernels take): `b` equal to `a`, or
    /// `b` of `a`'s rank with `a`'s channels and every other dimension 1. Nil when neither holds.
    public static func multiplyShape(_ a: TensorShape, _ b: TensorShape) -> TensorShape? {
        if a == b { return a }
        guard a.rank == b.rank, a.rank >= 1, b.dims[0] == a.dims[0], b.dims.dropFirst().allSatisfy({ $0 == 1 }) else { return nil }
        return a
    }
}

extension Pool2dAttributes {
    /// `AdaptiveMaxPool2d(outHeight, outWidth)` on `input` whose sizes they divide: PyTorch's windows
    /// floor(i·H/oh) ..< ceil((i+1)·H/oh) are then the tiles of a max pool with kernel = stride = H/oh.
    public static func exactAdaptive(input: TensorShape, outHeight: Int, outWidth: Int) -> Pool2dAttributes {
        Pool2dAttributes(kernel: Pair(input.height / outHeight, input.width / outWidth))
    }
}
