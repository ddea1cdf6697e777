// Bounds on sizes that come from users (an --input shape, a class count, a network file, a graph in JSON).
// Every element, parameter and FLOP count of a graph that passes these checks fits an Int with room to spare,
// so later arithmetic (plans, arenas, costs) cannot wrap even where a module is built with -Ounchecked.

/// The largest sizes a network may have. NetCode's parser refuses the same bounds with a source location.
public enum SizeLimits {
    /// Any single size: channels, height, width, kernel, stride, padding, dilation, groups, classes.
    public static let dimension = 1 << 24
    /// Elements of one tensor per sample (a layer's output, an input image, flat features) and parameters of
    /// one layer.
    public static let tensorElements = 1 << 32
    /// Multiply-adds of one layer per sample; 10,000 such layers still sum to less than 2^63 FLOPs.
    public static let layerWork = 1 << 48

    /// The product of `dims` when every factor is positive and the product is at most `limit`; nil otherwise.
    public static func product(_ dims: [Int], limit: Int = tensorElements) -> Int? {
        var total = 1
        for d in dims {
            guard d > 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { return nil }
            total = p
        }
        return total
    }
}

extension TensorShape {
    /// The element count when every dimension is positive and the shape within `SizeLimits` (an image's sides
    /// at most `dimension`, all elements at most `tensorElements`); nil otherwise.
    public var checkedCount: Int? {
        guard rank <= 1 || dims.allSatisfy({ $0 <= SizeLimits.dimension }) else { return nil }
        return SizeLimits.product(dims)
    }
}

extension Graph {
    /// Before a layer's shape arithmetic: its inputs and attributes within `SizeLimits`, so that arithmetic
    /// cannot overflow.
    static func checkSizes(of layer: Layer, inputs: [TensorShape], fail: (String) -> NetworkError) throws {
        for x in inputs where x.checkedCount == nil {
            throw fail("input of shape \(x) is too large (at most \(SizeLimits.tensorElements) elements per sample, "
                       + "\(SizeLimits.dimension) per side)")
        }
        var attributes: [Int] = []
        switch layer {
        case .conv2d(let a):
            attributes = [a.inChannels, a.outChannels, a.kernel.h, a.kernel.w, a.stride.h, a.stride.w,
                          a.padding.h, a.padding.w, a.dilation.h, a.dilation.w, a.groups]
        case .linear(_, let o, _): attributes = [o]   // in_features must equal the flat input, checked below
        case .batchNorm(let a): attributes = [a.features]
        case .maxPool2d(let a), .avgPool2d(let a):
            attributes = [a.kernel.h, a.kernel.w, a.stride.h, a.stride.w, a.padding.h, a.padding.w]
        case .adaptiveAvgPool2d(let h, let w): attributes = [h, w]
        case .groupNorm(let a): attributes = [a.groups, a.channels]
        case .layerNorm(let a): attributes = a.shape
        case .prelu(let slopes): attributes = [slopes]
        case .localResponseNorm(let a): attributes = [a.size]
        case .l2Normalize: break
        case .input, .activation, .dropout, .flatten, .add, .concat, .identity, .softmax, .logSoftmax, .multiply, .affine, .reshape, .dropout2d: break
        case .pad(let a): attributes = [a.left, a.right, a.top, a.bottom]
        case .adaptiveMaxPool2d(let h, let w): attributes = [h, w]
        case .alphaDropout: break
        }
        if case .linear(let i, _, _) = layer, i > SizeLimits.tensorElements {
            throw fail("in_features=\(i) is too large (at most \(SizeLimits.tensorElements))")
        }
        for v in attributes where v > SizeLimits.dimension {
            throw fail("size \(v) is too large (at most \(SizeLimits.dimension))")
        }
        if case .concat = layer, inputs.count > SizeLimits.dimension {
            throw fail("concatenates too many tensors (\(inputs.count))")
        }
    }

    /// After shape inference: the output, each parameter tensor and the work per sample within the limits.
    static func checkSizes(of layer: Layer, output: TensorShape, fail: (String) -> NetworkError) throws {
        guard let count = output.checkedCount else {
            throw fail("output of shape \(output) is too large (at most \(SizeLimits.tensorElements) elements per sample, "
                       + "\(SizeLimits.dimension) per side)")
        }
        for p in layer.parameterShapes where SizeLimits.product(p.dims) == nil {
            let shape = p.dims.map(String.init).joined(separator: "x")
            throw fail("\(p.suffix) of shape \(shape) is too large (at most \(SizeLimits.tensorElements) parameters)")
        }
        let factors: [Int]
        switch layer {
        case .conv2d(let a): factors = [count, a.inChannels / max(a.groups, 1), a.kernel.h, a.kernel.w]
        case .linear(let i, _, _): factors = [count, i]
        case .maxPool2d(let a), .avgPool2d(let a): factors = [count, a.kernel.h, a.kernel.w]
        default: factors = [count]
        }
        guard SizeLimits.product(factors, limit: SizeLimits.layerWork) != nil else {
            throw fail("the layer needs too much computation (more than \(SizeLimits.layerWork) multiply-adds per sample)")
        }
    }
}
