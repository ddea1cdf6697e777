import NetIR

/// Sizes of one convolution for a fixed batch (NCHW input and output, OIHW weights).
public struct ConvGeometry: Hashable, Codable, Sendable {
    public var batch, inChannels, inHeight, inWidth: Int
    public var outChannels, outHeight, outWidth: Int
    public var kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, groups: Int

    public init(batch: Int, input: TensorShape, output: TensorShape, attributes a: Conv2dAttributes) {
        self.batch = batch
        inChannels = input.channels; inHeight = input.height; inWidth = input.width
        outChannels = output.channels; outHeight = output.height; outWidth = output.width
        kernelH = a.kernel.h; kernelW = a.kernel.w; strideH = a.stride.h; strideW = a.stride.w
        padH = a.padding.h; padW = a.padding.w; dilationH = a.dilation.h; dilationW = a.dilation.w; groups = a.groups
    }

    public var inputPlane: Int { inHeight * inWidth }
    public var outputPlane: Int { outHeight * outWidth }
    /// Rows of the im2col matrix per group: (C_in / groups) * kH * kW.
    public var patchSize: Int { inChannels / groups * kernelH * kernelW }
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Multiply-adds of the forward pass for the whole batch.
    public var macs: Int { batch * outChannels * outputPlane * patchSize }
}

/// A fully connected layer: y[batch, out] = x[batch, in] * W[out, in]^T + b.
public struct LinearGeometry: Hashable, Codable, Sendable {
    public var batch, inFeatures, outFeatures: Int
    public init(batch: Int, inFeatures: Int, outFeatures: Int) {
        self.batch = batch; self.inFeatures = inFeatures; self.outFeatures = outFeatures
    }
}

/// Batch normalisation over `channels`, each with `spatial` elements per sample (1 for BatchNorm1d).
public struct BatchNormGeometry: Hashable, Codable, Sendable {
    public var batch, channels, spatial: Int
    public var eps, momentum: Float
    public init(batch: Int, channels: Int, spatial: Int, eps: Float, momentum: Float) {
        self.batch = batch; self.channels = channels; self.spatial = spatial; self.eps = eps; self.momentum = momentum
    }
}

/// MaxPool2d / AvgPool2d over NCHW planes.
public struct PoolGeometry: Hashable, Codable, Sendable {
    public var batch, channels, inHeight, inWidth, outHeight, outWidth: Int
    public var kernelH, kernelW, strideH, strideW, padH, padW: Int
    /// AvgPool2d: padded positions count in the divisor.
    public var countIncludePad: Bool

    public init(batch: Int, input: TensorShape, output: TensorShape, attributes a: Pool2dAttributes) {
        self.batch = batch; channels = input.channels
        inHeight = input.height; inWidth = input.width; outHeight = output.height; outWidth = output.width
        kernelH = a.kernel.h; kernelW = a.kernel.w; strideH = a.stride.h; strideW = a.stride.w
        padH = a.padding.h; padW = a.padding.w; countIncludePad = a.countIncludePad
    }

    /// AvgPool2d's divisor for window (i, j) with countIncludePad: its positions inside the padded input
    /// (PyTorch: kH·kW, less the part of a ceil_mode window that runs past the right or bottom padding).
    @inline(__always)
    public func includePadDivisor(_ i: Int, _ j: Int) -> Int {
        let h0 = i * strideH - padH, w0 = j * strideW - padW
        return (min(h0 + kernelH, inHeight + padH) - h0) * (min(w0 + kernelW, inWidth + padW) - w0)
    }
}

/// AdaptiveAvgPool2d: output cell (i, j) averages input rows floor(i*H/oh) ..< ceil((i+1)*H/oh), likewise columns.
public struct AdaptivePoolGeometry: Hashable, Codable, Sendable {
    public var batch, channels, inHeight, inWidth, outHeight, outWidth: Int
    public init(batch: Int, channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int) {
        self.batch = batch; self.channels = channels; self.inHeight = inHeight; self.inWidth = inWidth
        self.outHeight = outHeight; self.outWidth = outWidth
    }
}

/// Concatenation along channels: each input i has `channels[i]` channels of `spatial` elements per sample.
public struct ConcatGeometry: Hashable, Codable, Sendable {
    public var batch, spatial: Int
    public var channels: [Int]
    public init(batch: Int, spatial: Int, channels: [Int]) { self.batch = batch; self.spatial = spatial; self.channels = channels }
    public var totalChannels: Int { channels.reduce(0, +) }
}

/// `a * b` over `outer` rows of `inner` elements: `b` has `outer * inner` elements, or `outer` when `perRow`
/// (a per-channel gate: row n*C + c scales the plane of channel c in sample n).
public struct MultiplyGeometry: Hashable, Codable, Sendable {
    public var outer, inner: Int
    public var perRow: Bool
    public init(outer: Int, inner: Int, perRow: Bool) { self.outer = outer; self.inner = inner; self.perRow = perRow }
    public var count: Int { outer * inner }
}
