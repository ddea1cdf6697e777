/// `nn.ConvTranspose2d`: the adjoint of a Conv2d from `outChannels` to `inChannels` with the same kernel, stride,
/// padding, dilation and groups. Weight `[inChannels, outChannels / groups, kH, kW]` (PyTorch's layout), bias
/// `[outChannels]`. `outputPadding` adds rows and columns at the bottom and right that only the bias reaches.
public struct ConvTranspose2dAttributes: Hashable, Codable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Pair
    public var stride: Pair
    public var padding: Pair
    public var outputPadding: Pair
    public var dilation: Pair
    public var groups: Int
    public var bias: Bool

    public init(inChannels: Int, outChannels: Int, kernel: Pair, stride: Pair = Pair(1), padding: Pair = Pair(0),
                outputPadding: Pair = Pair(0), dilation: Pair = Pair(1), groups: Int = 1, bias: Bool = true) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.padding = padding; self.outputPadding = outputPadding; self.dilation = dilation; self.groups = groups
        self.bias = bias
    }

    /// The Conv2d whose input gradient this layer computes (from `outChannels` to `inChannels`; same weight tensor).
    public var adjoint: Conv2dAttributes {
        Conv2dAttributes(inChannels: outChannels, outChannels: inChannels, kernel: kernel, stride: stride, padding: padding,
                         dilation: dilation, groups: groups, bias: false)
    }

    /// `(H - 1)·stride - 2·padding + dilation·(kernel - 1) + outputPadding + 1` per side.
    public func output(for x: TensorShape) -> TensorShape {
        func side(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, _ op: Int) -> Int { (n - 1) * s - 2 * p + d * (k - 1) + op + 1 }
        return TensorShape(channels: outChannels,
                           height: side(x.height, kernel.h, stride.h, padding.h, dilation.h, outputPadding.h),
                           width: side(x.width, kernel.w, stride.w, padding.w, dilation.w, outputPadding.w))
    }

    /// Checks that the layer is well formed for input `x`; returns the reason it is not, or nil.
    func problem(for x: TensorShape) -> String? {
        guard x.isImage else { return "ConvTranspose2d expects an image input [C, H, W], got [\(x)]" }
        guard inChannels == x.channels else { return "ConvTranspose2d expects \(inChannels) input channels, got input of shape \(x)" }
        guard groups >= 1, inChannels % groups == 0, outChannels % groups == 0 else {
            return "groups=\(groups) must divide in_channels=\(inChannels) and out_channels=\(outChannels)"
        }
        guard outChannels > 0, kernel.h > 0, kernel.w > 0, stride.h > 0, stride.w > 0, padding.h >= 0, padding.w >= 0,
              dilation.h > 0, dilation.w > 0, outputPadding.h >= 0, outputPadding.w >= 0 else {
            return "kernel, stride, dilation and out_channels must be positive, padding and output_padding non-negative"
        }
        guard outputPadding.h < max(stride.h, dilation.h), outputPadding.w < max(stride.w, dilation.w) else {
            return "output_padding \(outputPadding) must be smaller than either stride \(stride) or dilation \(dilation)"
        }
        let y = output(for: x)
        guard y.height > 0, y.width > 0 else { return "the output of input \(x) would be empty (padding \(padding) too large)" }
        return nil
    }
}
