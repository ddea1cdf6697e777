import NetIR

/// The graph under construction while `forward` runs, and the node names given out so far.
struct GraphState {
    private(set) var nodes: [Node]
    private(set) var shapes: [TensorShape]
    var taken: Set<String> = ["input"]
    /// Every module path, so that synthesized names never look like a module that exists.
    let reserved: Set<String>
    var counters: [String: Int] = [:]

    init(input: TensorShape, reserved: Set<String>) {
        nodes = [Node(name: "input", layer: .input, inputs: [])]
        shapes = [input]
        self.reserved = reserved
    }

    /// Appends a node after checking its inputs with NetIR's shape rules, returning its index. NetworkBuilder
    /// would do the same but also scans all names for duplicates on every add, which is quadratic; names here are
    /// unique by construction, so a one-node builder checks each single-input layer in constant time.
    mutating func append(_ node: Node) throws(NetworkError) -> Int {
        let inputs = node.inputs.map { shapes[$0] }
        let shape: TensorShape
        if inputs.count == 1 {
            var builder = NetworkBuilder(input: inputs[0])
            do {
                let added = try builder.add(node.name, node.layer, [builder.input], module: node.module)
                shape = builder.shape(of: added)
            } catch let error as NetworkError {
                throw error
            } catch {
                throw NetworkError(layer: node.name, message: "\(error)")
            }
        } else {
            shape = try Self.merged(node, inputs)
        }
        taken.insert(node.name)
        nodes.append(node)
        shapes.append(shape)
        return nodes.count - 1
    }

    /// Shapes of Add, Mul and Concat, with NetIR's messages.
    private static func merged(_ node: Node, _ inputs: [TensorShape]) throws(NetworkError) -> TensorShape {
        func fail(_ message: String) -> NetworkError { NetworkError(layer: node.name, message: message) }
        guard let x = inputs.first, inputs.count >= 2 else { throw fail("\(node.layer.typeName) takes two or more inputs") }
        switch node.layer {
        case .add:
            for s in inputs.dropFirst() where s != x { throw fail("cannot add tensors of shapes \(x) and \(s)") }
            return x
        case .multiply:
            guard inputs.count == 2, let y = Layer.multiplyShape(x, inputs[1]) else {
                throw fail("cannot multiply tensors of shapes \(x) and \(inputs[1])")
            }
            return y
        case .concat:
            guard x.rank >= 1 else { throw fail("cannot concatenate tensors without dimensions") }
            for s in inputs.dropFirst() where s.rank != x.rank || s.dims.dropFirst() != x.dims.dropFirst() {
                throw fail("cannot concatenate shapes \(x) and \(s) along channels")
            }
            var dims = x.dims
            dims[0] = inputs.reduce(0) { $0 + $1.channels }
            return TensorShape(dims)
        default:
            throw fail("takes 1 input(s), got \(inputs.count)")
        }
    }

    /// A module's own path on its first call; `path_1`, `path_2`, ... on later calls.
    mutating func name(reusing path: String) -> String {
        taken.contains(path) ? synthetic(path + "_") : path
    }

    /// `prefix1`, `prefix2`, ...: names for functional calls and operators (`relu_f1`, `add_1`, `flatten_1`).
    mutating func synthetic(_ prefix: String) -> String {
        var n = counters[prefix, default: 0]
        while true {
            n += 1
            let candidate = prefix + String(n)
            if !taken.contains(candidate) && !reserved.contains(candidate) {
                counters[prefix] = n
                return candidate
            }
        }
    }
}
