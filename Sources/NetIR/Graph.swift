/// Where a layer came from in user source, so errors can point at it.
public struct SourceLocation: Hashable, Codable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int = 1) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// One node of the network DAG.
public struct Node: Hashable, Codable, Sendable {
    /// Unique within the graph, e.g. `conv1`, `layer1.0.bn1`, `relu_3`.
    public var name: String
    /// The module path that owns this node's parameters (PyTorch `state_dict` prefix). Equals `name` unless
    /// the same module is called twice, in which case both calls share one set of parameters.
    public var module: String
    public var layer: Layer
    /// Indices of producer nodes; always smaller than this node's own index.
    public var inputs: [Int]
    public var location: SourceLocation?

    public init(name: String, module: String? = nil, layer: Layer, inputs: [Int], location: SourceLocation? = nil) {
        self.name = name; self.module = module ?? name; self.layer = layer; self.inputs = inputs; self.location = location
    }
}

/// A network: a DAG of layers in topological order. Node 0 is the input; `output` is the node whose value is the
/// network's output (logits for classification).
public struct Graph: Hashable, Codable, Sendable {
    public var inputShape: TensorShape
    public var nodes: [Node]
    public var output: Int

    public init(inputShape: TensorShape, nodes: [Node], output: Int) {
        self.inputShape = inputShape; self.nodes = nodes; self.output = output
    }

    /// For each node, the indices of the nodes that read it (in order, with repeats for `x + x`).
    public var consumers: [[Int]] {
        var result = [[Int]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() { for j in node.inputs { result[j].append(i) } }
        return result
    }

    /// Nodes whose value reaches the output.
    public var live: [Bool] {
        var result = [Bool](repeating: false, count: nodes.count)
        guard output < nodes.count else { return result }
        result[output] = true
        for i in stride(from: output, through: 0, by: -1) where result[i] {
            for j in nodes[i].inputs { result[j] = true }
        }
        return result
    }

    public func index(named name: String) -> Int? { nodes.firstIndex { $0.name == name } }
}

/// A network that does not make sense: wrong shapes, bad attributes, broken wiring. Names the layer and,
/// where known, the source line it came from.
public struct NetworkError: Error, Hashable, Sendable, CustomStringConvertible {
    public var layer: String
    public var location: SourceLocation?
    public var message: String

    public init(layer: String, location: SourceLocation? = nil, message: String) {
        self.layer = layer; self.location = location; self.message = message
    }

    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)layer '\(layer)': \(message)"
    }
}
