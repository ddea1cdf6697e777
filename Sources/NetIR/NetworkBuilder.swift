/// Writes networks in Swift code. Each call adds one named node and returns its handle; input channels and
/// features are taken from the producer's inferred shape, so only the new layer's own sizes are given.
///
///     var b = NetworkBuilder(input: TensorShape(channels: 1, height: 28, width: 28))
///     var x = try b.conv2d("conv1", b.input, out: 32, kernel: 3, padding: 1)
///     x = try b.relu("relu1", x)
///     let logits = try b.linear("fc", try b.flatten("flatten", x), out: 10)
///     let net = try b.build(output: logits)
public struct NetworkBuilder {
    public struct Value: Hashable, Sendable { public let index: Int }

    public private(set) var nodes: [Node]
    public private(set) var shapes: [TensorShape]
    public let inputShape: TensorShape
    /// Names taken so far: a duplicate is caught in O(1), which matters for generated networks of many layers.
    private var names: Set<String> = ["input"]

    public init(input: TensorShape) {
        inputShape = input
        nodes = [Node(name: "input", layer: .input, inputs: [])]
        shapes = [input]
    }

    public var input: Value { Value(index: 0) }

    public func shape(of v: Value) -> TensorShape { shapes[v.index] }

    /// Adds any layer; checks its shape immediately so the error points at the call that went wrong.
    @discardableResult
    public mutating func add(_ name: String, _ layer: Layer, _ inputs: [Value], module: String? = nil,
                             location: SourceLocation? = nil) throws -> Value {
        let node = Node(name: name, module: module, layer: layer, inputs: inputs.map(\.index), location: location)
        if names.contains(name) {
            throw NetworkError(layer: name, location: location, message: "duplicate layer name")
        }
        let shape = try Graph.outputShape(of: layer, inputs: inputs.map { shapes[$0.index] }) {
            NetworkError(layer: name, location: location, message: $0)
        }
        names.insert(name)
        nodes.append(node)
        shapes.append(shape)
        return Value(index: nodes.count - 1)
    }

    public mutating func conv2d(_ name: String, _ x: Value, out: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                                dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws -> Value {
        let a = Conv2dAttributes(inChannels: shapes[x.index].channels, outChannels: out, kernel: Pair(kernel),
                                 stride: Pair(stride), padding: Pair(padding), dilation: Pair(dilation),
                                 groups: groups, bias: bias)
        return try add(name, .conv2d(a), [x])
    }

    public mutating func linear(_ name: String, _ x: Value, out: Int, bias: Bool = true) throws -> Value {
        try add(name, .linear(inFeatures: shapes[x.index].count, outFeatures: out, bias: bias), [x])
    }

    public mutating func batchNorm(_ name: String, _ x: Value) throws -> Value {
        let s = shapes[x.index]
        return try add(name, .batchNorm(BatchNormAttributes(features: s.channels, dimensions: s.isImage ? 2 : 1)), [x])
    }

    public mutating func activation(_ name: String, _ x: Value, _ a: Activation) throws -> Value {
        try add(name, .activation(a), [x])
    }

    public mutating func relu(_ name: String, _ x: Value) throws -> Value { try activation(name, x, .relu) }

    public mutating func maxPool(_ name: String, _ x: Value, kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Value {
        try add(name, .maxPool2d(Pool2dAttributes(kernel: Pair(kernel), stride: Pair(stride ?? kernel), padding: Pair(padding))), [x])
    }

    public mutating func avgPool(_ name: String, _ x: Value, kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Value {
        try add(name, .avgPool2d(Pool2dAttributes(kernel: Pair(kernel), stride: Pair(stride ?? kernel), padding: Pair(padding))), [x])
    }

    public mutating func globalAvgPool(_ name: String, _ x: Value) throws -> Value {
        try add(name, .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [x])
    }

    public mutating func flatten(_ name: String, _ x: Value) throws -> Value { try add(name, .flatten, [x]) }

    public mutating func dropout(_ name: String, _ x: Value, p: Float) throws -> Value { try add(name, .dropout(p: p), [x]) }

    public mutating func addValues(_ name: String, _ a: Value, _ b: Value) throws -> Value { try add(name, .add, [a, b]) }

    public mutating func concat(_ name: String, _ xs: [Value]) throws -> Value { try add(name, .concat, xs) }

    /// `mutating` on purpose: `b.build(output: try b.linear(...))` would otherwise read `b` before the argument
    /// adds its layer and silently build without it; as a mutating call it is an exclusivity error at compile time.
    public mutating func build(output: Value) throws -> Graph {
        let g = Graph(inputShape: inputShape, nodes: nodes, output: output.index)
        _ = try g.inferShapes()
        return g
    }
}
