import NetIR

/// A graph under edit. Structural edits (insert, remove, splice) only keep the wiring consistent; `repaired()`
/// then re-derives every layer's input size from its producer's shape (Conv2d in_channels, Linear
/// in_features, BatchNorm features), so an edit that changes one width flows through to the next layers
/// the way a programmer would fix it by hand, and anything that still does not fit is reported.
struct GraphSurgery {
    var inputShape: TensorShape
    var nodes: [Node]
    var output: Int

    init(_ graph: Graph) {
        inputShape = graph.inputShape; nodes = graph.nodes; output = graph.output
    }

    var graph: Graph { Graph(inputShape: inputShape, nodes: nodes, output: output) }

    func consumers(of i: Int) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(i) }
    }

    /// Inserts `node` at `position`; references to nodes at or after `position` move up by one.
    mutating func insert(_ node: Node, at position: Int) {
        for k in nodes.indices {
            nodes[k].inputs = nodes[k].inputs.map { $0 >= position ? $0 + 1 : $0 }
        }
        if output >= position { output += 1 }
        nodes.insert(node, at: position)
    }

    /// Inserts a one-input layer right after `producer` and makes every former consumer of `producer` read the
    /// new node instead. Returns the new node's index.
    @discardableResult
    mutating func insertAfter(_ producer: Int, name: String, layer: Layer) -> Int {
        let readers = consumers(of: producer)
        let position = producer + 1
        insert(Node(name: name, layer: layer, inputs: [producer]), at: position)
        for r in readers {
            let moved = r >= position ? r + 1 : r
            nodes[moved].inputs = nodes[moved].inputs.map { $0 == producer ? position : $0 }
        }
        if output == producer { output = position }
        return position
    }

    /// Removes a one-input node, handing its input to its consumers (and to the output, if it was the output).
    mutating func bypass(_ i: Int) {
        guard i > 0, i < nodes.count, nodes[i].inputs.count == 1 else { return }
        let source = nodes[i].inputs[0]
        for k in nodes.indices {
            nodes[k].inputs = nodes[k].inputs.map { $0 == i ? source : ($0 > i ? $0 - 1 : $0) }
        }
        if output == i { output = source } else if output > i { output -= 1 }
        nodes.remove(at: i)
    }

    /// Drops nodes whose value never reaches the output (a module defined but not called).
    mutating func pruneDead() {
        let live = graph.live
        var newIndex = [Int](repeating: -1, count: nodes.count)
        var kept: [Node] = []
        for (i, node) in nodes.enumerated() where live[i] || i == 0 {
            newIndex[i] = kept.count
            kept.append(node)
        }
        nodes = kept.map { n in var m = n; m.inputs = n.inputs.map { newIndex[$0] }; return m }
        output = newIndex[output]
    }

    /// A fresh name `prefix<N>` with the smallest N not used as a node or module name.
    func uniqueName(_ prefix: String) -> String {
        let taken = Set(nodes.map(\.name) + nodes.map(\.module))
        var n = 1
        while taken.contains("\(prefix)\(n)") { n += 1 }
        return "\(prefix)\(n)"
    }

    /// Per-node output shapes, or nil where the graph does not fit together.
    func shapes() -> [TensorShape]? { try? graph.inferShapes() }

    /// The graph rebuilt node by node with every layer's input size taken from its producer; throws the first
    /// layer that still does not fit. Modules shared by several calls must end up identical.
    func repaired() throws -> Graph {
        var builder = NetworkBuilder(input: inputShape)
        var values: [NetworkBuilder.Value] = [builder.input]
        var moduleLayers: [String: Layer] = [:]
        for node in nodes.dropFirst() {
            let ins = node.inputs.map { values[$0] }
            let x = ins.first.map { builder.shape(of: $0) } ?? inputShape
            let layer = Self.adapt(node.layer, to: x)
            if !layer.parameterShapes.isEmpty {
                if let previous = moduleLayers[node.module], previous != layer {
                    throw NetworkError(layer: node.name, message: "shared module '\(node.module)' would need two shapes")
                }
                moduleLayers[node.module] = layer
            }
            values.append(try builder.add(node.name, layer, ins, module: node.module, location: nil))
        }
        return try builder.build(output: values[output])
    }

    /// `layer` with its input-side sizes set for an input of shape `x`.
    static func adapt(_ layer: Layer, to x: TensorShape) -> Layer {
        switch layer {
        case .conv2d(var a) where x.isImage:
            a.inChannels = x.channels
            if a.groups > 1 && (a.inChannels % a.groups != 0 || a.outChannels % a.groups != 0) {
                // Depthwise stays depthwise when it can; otherwise fall back to a dense convolution.
                a.groups = a.outChannels % a.inChannels == 0 ? a.inChannels : 1
            }
            return .conv2d(a)
        case .linear(_, let o, let bias) where x.rank == 1:
            return .linear(inFeatures: x.count, outFeatures: o, bias: bias)
        case .batchNorm(var a):
            a.features = x.channels
            a.dimensions = x.isImage ? 2 : 1
            return .batchNorm(a)
        case .groupNorm(var a) where x.rank >= 1:
            // InstanceNorm stays one group per channel; other group counts stay where they still divide.
            a.groups = a.groups == a.channels ? x.channels : (x.channels % a.groups == 0 ? a.groups : 1)
            a.channels = x.channels
            return .groupNorm(a)
        case .layerNorm(var a) where x.rank >= a.shape.count:
            a.shape = Array(x.dims.suffix(a.shape.count))
            return .layerNorm(a)
        case .prelu(let slopes) where slopes > 1 && x.rank >= 1:
            return .prelu(slopes: x.channels)
        default:
            return layer
        }
    }

    /// Copies `other`'s nodes after `k` (its suffix) onto this graph's node `anchor`, renaming any clash.
    /// References to `k` become references to `anchor`; `other`'s output becomes this graph's output.
    mutating func splice(_ other: GraphSurgery, after k: Int, onto anchor: Int) {
        // Keep only what leads to `anchor`: the prefix's own tail would otherwise dangle.
        output = anchor
        pruneDead()
        let base = output
        var taken = Set(nodes.map(\.name) + nodes.map(\.module))
        var renamed: [String: String] = [:]
        func fresh(_ name: String) -> String {
            if let r = renamed[name] { return r }
            var candidate = name
            var n = 2
            while taken.contains(candidate) { candidate = "\(name)_\(n)"; n += 1 }
            taken.insert(candidate)
            renamed[name] = candidate
            return candidate
        }
        let offset = nodes.count - (k + 1)
        for node in other.nodes[(k + 1)...] {
            var copy = node
            copy.name = fresh(node.name)
            copy.module = node.module == node.name ? copy.name : fresh(node.module)
            copy.inputs = node.inputs.map { $0 == k ? base : $0 + offset }
            copy.location = nil
            nodes.append(copy)
        }
        output = other.output + offset
    }

    /// Indices `k` such that no node after `k` reads a node before `k`: cutting there separates the graph
    /// into a prefix and a suffix joined only through `k`'s value.
    static func cutPoints(_ nodes: [Node], output: Int) -> [Int] {
        var result: [Int] = []
        var earliestRead = Int.max
        for k in stride(from: nodes.count - 1, through: 0, by: -1) {
            if k < output && earliestRead >= k { result.append(k) }
            earliestRead = min(earliestRead, nodes[k].inputs.min() ?? Int.max)
        }
        return result.reversed()
    }
}
