/// Size and cost of a network, per sample.
///
/// FLOPs count a multiply-add as 2 FLOPs; a bias add, activation, pooling comparison/addition, or residual add
/// as 1 per element; BatchNorm (inference form, a scale and a shift) as 2 per element; GroupNorm and LayerNorm
/// (statistics at inference too) as 5. Forward pass only.
public struct NetworkCost: Hashable, Codable, Sendable {
    public var parameters: Int
    public var flops: Int
    /// Conv2d/Linear layers on the longest input-to-output path.
    public var depth: Int
    /// The widest Conv2d/Linear layer (output channels or features).
    public var width: Int
    /// Floats of all layer outputs per sample (activation memory of a forward pass, before reuse).
    public var activations: Int
    public init(parameters: Int, flops: Int, depth: Int, width: Int, activations: Int) {
        self.parameters = parameters; self.flops = flops; self.depth = depth; self.width = width; self.activations = activations
    }

    /// LLMatic's first descriptor: depth / width.
    public var depthWidthRatio: Double { width > 0 ? Double(depth) / Double(width) : 0 }
}

extension Graph {
    /// Shapes, parameters, FLOPs, depth and width. Throws the shape error if the network does not fit together.
    public func cost() throws -> NetworkCost {
        let shapes = try inferShapes()
        let perNode = flopsPerNode(shapes: shapes)
        var flops = 0
        var activations = 0
        var longest = [Int](repeating: 0, count: nodes.count)
        var width = 0
        for (i, node) in nodes.enumerated() {
            let out = shapes[i]
            flops += perNode[i]
            if i > 0 { activations += out.count }
            let fromInputs = node.inputs.map { longest[$0] }.max() ?? 0
            longest[i] = fromInputs + (node.layer.isWeighted ? 1 : 0)
            if node.layer.isWeighted { width = max(width, out.channels) }
        }
        return NetworkCost(parameters: parameterCount, flops: flops, depth: longest[output], width: width,
                           activations: activations)
    }

    /// FLOPs per sample of each node, for the node shapes `inferShapes()` returned; `cost().flops` is their sum.
    public func flopsPerNode(shapes: [TensorShape]) -> [Int] {
        nodes.enumerated().map { i, node in
            let x = node.inputs.first.map { shapes[$0] } ?? shapes[i]
            return Self.flops(of: node.layer, input: x, output: shapes[i], inputCount: node.inputs.count)
        }
    }

    static func flops(of layer: Layer, input x: TensorShape, output y: TensorShape, inputCount: Int) -> Int {
        switch layer {
        case .conv2d(let a):
            let macs = y.count * (a.inChannels / a.groups) * a.kernel.h * a.kernel.w
            return 2 * macs + (a.bias ? y.count : 0)
        case .linear(let i, let o, let bias):
            return 2 * i * o + (bias ? o : 0)
        case .batchNorm:
            return 2 * y.count
        case .activation, .softmax, .logSoftmax, .multiply:
            return y.count
        case .maxPool2d(let a), .avgPool2d(let a):
            return y.count * a.kernel.h * a.kernel.w
        case .adaptiveAvgPool2d:
            return x.count
        case .add:
            return y.count * (inputCount - 1)
        case .affine:
            return 2 * y.count
        case .prelu:
            return 2 * y.count   // compare, multiply
        case .localResponseNorm(let a):
            return (3 + min(a.size, x.channels)) * y.count   // window of squares, scale, power, divide
        case .l2Normalize:
            return 3 * y.count   // square, sum, divide
        case .groupNorm, .layerNorm:
            return 5 * y.count   // mean, squared deviation (2), scale and shift (2)
        case .input, .dropout, .dropout2d, .flatten, .concat, .identity, .reshape:
            return 0
        case .pad:
            return 0   // data movement only
        case .adaptiveMaxPool2d:
            return x.count   // one comparison per input element (windows tile the input exactly)
        case .alphaDropout:
            return 2 * y.count
        }
    }
}
