extension Graph {
    /// Checks the wiring and infers every node's output shape (per sample). Throws a `NetworkError` naming the
    /// first layer whose input does not fit, with both shapes.
    public func inferShapes() throws -> [TensorShape] {
        guard !nodes.isEmpty, nodes[0].layer == .input else {
            throw NetworkError(layer: nodes.first?.name ?? "<empty>", message: "the first node must be the input")
        }
        guard output >= 0, output < nodes.count else {
            throw NetworkError(layer: "<output>", message: "output index \(output) is out of range")
        }
        var names = Set<String>()
        var shapes: [TensorShape] = []
        shapes.reserveCapacity(nodes.count)
        for (i, node) in nodes.enumerated() {
            func fail(_ message: String) -> NetworkError { NetworkError(layer: node.name, location: node.location, message: message) }
            guard names.insert(node.name).inserted else { throw fail("duplicate layer name") }
            if i > 0 && node.layer == .input { throw fail("only the first node may be the input") }
            for j in node.inputs where j < 0 || j >= i {
                throw fail("input index \(j) is not an earlier node")
            }
            if let arity = node.layer.arity {
                guard node.inputs.count == arity else { throw fail("takes \(arity) input(s), got \(node.inputs.count)") }
            } else if node.inputs.count < 2 {
                throw fail("\(node.layer.typeName) takes two or more inputs, got \(node.inputs.count)")
            }
            let ins = node.inputs.map { shapes[$0] }
            if i == 0, inputShape.checkedCount == nil {
                throw fail("input shape \(inputShape) is too large (at most \(SizeLimits.tensorElements) elements, "
                           + "\(SizeLimits.dimension) per side)")
            }
            shapes.append(i == 0 ? inputShape : try Self.outputShape(of: node.layer, inputs: ins, fail: fail))
        }
        return shapes
    }

    /// The output shape of one layer for the given input shapes, every size within `SizeLimits`.
    static func outputShape(of layer: Layer, inputs: [TensorShape],
                            fail: (String) -> NetworkError) throws -> TensorShape {
        try checkSizes(of: layer, inputs: inputs, fail: fail)
        let output = try shapeRule(of: layer, inputs: inputs, fail: fail)
        try checkSizes(of: layer, output: output, fail: fail)
        return output
    }

    /// The shape arithmetic of each layer kind; its inputs and attributes are within `SizeLimits`.
    private static func shapeRule(of layer: Layer, inputs: [TensorShape],
                                  fail: (String) -> NetworkError) throws -> TensorShape {
        let x = inputs.first ?? TensorShape([])
        func needImage() throws {
            guard x.isImage else { throw fail("expects an image input [C, H, W], got [\(x)] (flattened too early?)") }
        }
        switch layer {
        case .input:
            return x
        case .conv2d(let a):
            try needImage()
            guard a.inChannels == x.channels else {
                throw fail("Conv2d expects \(a.inChannels) input channels, got input of shape \(x)")
            }
            guard a.groups >= 1, a.inChannels % a.groups == 0, a.outChannels % a.groups == 0 else {
                throw fail("groups=\(a.groups) must divide in_channels=\(a.inChannels) and out_channels=\(a.outChannels)")
            }
            guard a.outChannels > 0, a.kernel.h > 0, a.kernel.w > 0, a.stride.h > 0, a.stride.w > 0,
                  a.padding.h >= 0, a.padding.w >= 0, a.dilation.h > 0, a.dilation.w > 0 else {
                throw fail("kernel, stride, dilation and out_channels must be positive, padding non-negative")
            }
            let h = (x.height + 2 * a.padding.h - a.dilation.h * (a.kernel.h - 1) - 1) / a.stride.h + 1
            let w = (x.width + 2 * a.padding.w - a.dilation.w * (a.kernel.w - 1) - 1) / a.stride.w + 1
            guard x.height + 2 * a.padding.h >= a.dilation.h * (a.kernel.h - 1) + 1,
                  x.width + 2 * a.padding.w >= a.dilation.w * (a.kernel.w - 1) + 1, h > 0, w > 0 else {
                throw fail("kernel \(a.kernel) does not fit input \(x) with padding \(a.padding)")
            }
            return TensorShape(channels: a.outChannels, height: h, width: w)
        case .linear(let inF, let outF, _):
            guard x.rank == 1 else {
                throw fail("Linear expects a flat input [\(inF)], got [\(x)] (missing flatten?)")
            }
            guard x.count == inF else { throw fail("Linear expects \(inF) input features, got \(x.count)") }
            guard outF > 0 else { throw fail("out_features must be positive") }
            return TensorShape(features: outF)
        case .batchNorm(let a):
            if a.dimensions == 2 { try needImage() } else if x.rank != 1 {
                throw fail("BatchNorm1d expects a flat input [\(a.features)], got [\(x)]")
            }
            guard x.channels == a.features else {
                throw fail("BatchNorm\(a.dimensions)d expects \(a.features) features, got input of shape \(x)")
            }
            return x
        case .groupNorm(let a):
            guard x.rank >= 1, x.channels == a.channels else {
                throw fail("GroupNorm expects \(a.channels) channels, got input of shape \(x)")
            }
            guard a.groups >= 1, a.channels % a.groups == 0 else {
                throw fail("num_groups=\(a.groups) must divide num_channels=\(a.channels)")
            }
            guard a.eps > 0 else { throw fail("eps must be positive") }
            return x
        case .layerNorm(let a):
            guard !a.shape.isEmpty, a.shape.count <= x.rank, Array(x.dims.suffix(a.shape.count)) == a.shape else {
                throw fail("LayerNorm over \(a.shape) does not match the trailing dimensions of input [\(x)]")
            }
            guard a.eps > 0 else { throw fail("eps must be positive") }
            return x
        case .localResponseNorm(let a):
            guard x.rank >= 2 else { throw fail("LocalResponseNorm expects [C, ...] with at least one more dimension, got [\(x)]") }
            guard a.size >= 1, a.k >= 0, a.alpha >= 0, a.beta >= 0 else { throw fail("size must be positive, alpha, beta and k non-negative") }
            return x
        case .l2Normalize(let eps):
            guard x.rank >= 1, eps > 0 else { throw fail("F.normalize expects an input with channels and a positive eps") }
            return x
        case .prelu(let slopes):
            guard x.rank >= 1, slopes == 1 || slopes == x.channels else {
                throw fail("PReLU with \(slopes) parameters expects 1 or the input's \(x.rank >= 1 ? x.channels : 0) channels, got input of shape \(x)")
            }
            return x
        case .multiply:
            guard let y = Layer.multiplyShape(x, inputs[1]) else {
                throw fail("cannot multiply tensors of shapes \(x) and \(inputs[1]) (the second must match or be per channel)")
            }
            return y
        case .dropout2d(let p):
            guard x.rank >= 2 else { throw fail("Dropout2d expects [C, H, W] per sample, got [\(x)]") }
            guard p >= 0 && p < 1 else { throw fail("dropout p=\(p) must be in [0, 1)") }
            return x
        case .activation, .dropout, .identity, .softmax, .logSoftmax, .affine:
            if case .dropout(let p) = layer, !(p >= 0 && p < 1) { throw fail("dropout p=\(p) must be in [0, 1)") }
            return x
        case .maxPool2d(let a), .avgPool2d(let a):
            try needImage()
            guard a.kernel.h > 0, a.kernel.w > 0, a.stride.h > 0, a.stride.w > 0 else {
                throw fail("kernel and stride must be positive")
            }
            guard a.padding.h * 2 <= a.kernel.h, a.padding.w * 2 <= a.kernel.w else {
                throw fail("padding \(a.padding) must be at most half the kernel \(a.kernel)")
            }
            let h = Pool2dAttributes.outputSize(input: x.height, kernel: a.kernel.h, stride: a.stride.h, padding: a.padding.h, ceilMode: a.ceilMode)
            let w = Pool2dAttributes.outputSize(input: x.width, kernel: a.kernel.w, stride: a.stride.w, padding: a.padding.w, ceilMode: a.ceilMode)
            guard x.height + 2 * a.padding.h >= a.kernel.h, x.width + 2 * a.padding.w >= a.kernel.w else {
                throw fail("pooling kernel \(a.kernel) is larger than input \(x)")
            }
            return TensorShape(channels: x.channels, height: h, width: w)
        case .adaptiveAvgPool2d(let oh, let ow):
            try needImage()
            guard oh > 0, ow > 0 else { throw fail("output size must be positive") }
            return TensorShape(channels: x.channels, height: oh, width: ow)
        case .flatten:
            return TensorShape(features: x.count)
        case .reshape(let dims):
            guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }), dims.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) == x.count else {
                throw fail("cannot view \(x) (\(x.count) elements per sample) as \(dims.map(String.init).joined(separator: "x"))")
            }
            return TensorShape(dims)
        case .add:
            for s in inputs.dropFirst() where s != x {
                throw fail("cannot add tensors of shapes \(x) and \(s)")
            }
            return x
        case .concat:
            for s in inputs.dropFirst() where s.rank != x.rank || s.dims.dropFirst() != x.dims.dropFirst() {
                throw fail("cannot concatenate shapes \(x) and \(s) along channels")
            }
            var dims = x.dims
            dims[0] = inputs.reduce(0) { $0 + $1.channels }
            return TensorShape(dims)
        case .pad(let a):
            try needImage()
            guard min(a.left, a.right, a.top, a.bottom) >= 0 else {
                throw fail("padding (\(a.left), \(a.right), \(a.top), \(a.bottom)) must be non-negative (cropping is not supported)")
            }
            if a.mode == .reflect, max(a.left, a.right) >= x.width || max(a.top, a.bottom) >= x.height {
                throw fail("reflect padding (\(a.left), \(a.right), \(a.top), \(a.bottom)) must be less than the input's size \(x)")
            }
            return TensorShape(channels: x.channels, height: x.height + a.top + a.bottom, width: x.width + a.left + a.right)
        case .adaptiveMaxPool2d(let oh, let ow):
            try needImage()
            guard oh > 0, ow > 0 else { throw fail("output size must be positive") }
            guard x.height % oh == 0, x.width % ow == 0 else {
                throw fail("adaptive max pooling of \(x) to \(oh)x\(ow) is not supported: the output size must divide the "
                           + "input's (then it is MaxPool2d with kernel = stride = input / output)")
            }
            return TensorShape(channels: x.channels, height: oh, width: ow)
        case .alphaDropout(let p, let feature):
            if feature && x.rank < 2 { throw fail("FeatureAlphaDropout expects [C, H, W] per sample, got [\(x)]") }
            guard p >= 0 && p < 1 else { throw fail("alpha dropout p=\(p) must be in [0, 1)") }
            return x
        }
    }
}
