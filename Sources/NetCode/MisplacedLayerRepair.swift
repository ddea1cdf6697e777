import NetIR

/// An image layer (a convolution, pooling, a 2-D norm) that `forward` calls after the image was flattened: the
/// layer is applied to the image right before the flatten instead, and its later call passes the tensor through.
/// The commonest fault of "add a layer" replies from small models: the new line goes after the last existing
/// one, past the flatten and often past the Linear layers. Done only when the layer fits the image that was
/// flattened (after input-size repair); the Linear after the flatten then gets its in_features from
/// `InputSizeRepair`. It takes a second parse (`NetworkSource.parseRepairing`): the first finds the fault.
public struct MisplacedLayerRepair: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The module's `state_dict` path.
    public var module: String
    /// The layer as the module declared it.
    public var layer: Layer
    /// Where `forward` called it, and where the image it belongs to was flattened.
    public var location: SourceLocation?
    public var flattenedAt: SourceLocation

    public var description: String {
        let at = location.map { "\($0): " } ?? ""
        return "\(at)\(module) applied before the flatten at line \(flattenedAt.line) (an image layer called after the flatten)"
    }

    /// Most layers moved in one parse: each takes one more parse.
    static let limit = 4
}

extension Interpreter {
    /// In repair mode, when a module call on a flattened tensor failed: the move that gives the layer the image
    /// that was flattened, if that image fits it.
    func misplacedImageLayer(_ layer: Layer, module: String?, inputs: [Int], graph g: GraphState, at e: Expr,
                             definedBy m: ModuleBox?) -> MisplacedLayerRepair? {
        guard repairInputSizes, let module, inputs.count == 1, g.shapes[inputs[0]].rank == 1,
              !g.nodes.contains(where: { $0.module == module }) else { return nil }
        // Back along the flattened values to the node that flattened an image.
        var i = inputs[0]
        while true {
            guard let first = g.nodes[i].inputs.first else { return nil }
            if g.shapes[first].isImage { break }
            guard g.shapes[first].rank == 1 else { return nil }
            i = first
        }
        let image = g.nodes[i].inputs[0]
        guard let flattenedAt = g.nodes[i].location else { return nil }
        var probe = g
        let fitted = repairedLayer(layer, module: module, input: g.shapes[image], graph: g, definedBy: m)
        guard (try? probe.append(Node(name: probe.synthetic("probe_"), module: module, layer: fitted, inputs: [image]))) != nil
        else { return nil }
        return MisplacedLayerRepair(module: module, layer: layer, location: location(e), flattenedAt: flattenedAt)
    }

    /// In a repair parse that knows the misplaced layers: the inputs of a node about to be added, with the layers
    /// that belong before this flatten applied first; or, for a misplaced layer's own later call, its input
    /// unchanged (nil otherwise).
    func hoistingMisplaced(_ inputs: [Int], module: String?, graph g: inout GraphState, at e: Expr) throws(NetworkError) -> (inputs: [Int], passThrough: Bool) {
        guard !misplacedLayers.isEmpty, inputs.count == 1 else { return (inputs, false) }
        if let module, g.shapes[inputs[0]].rank == 1, misplacedLayers.contains(where: { $0.module == module }) {
            return (inputs, true)
        }
        guard g.shapes[inputs[0]].isImage else { return (inputs, false) }
        let here = location(e)
        var x = inputs[0]
        for move in misplacedLayers where move.flattenedAt == here {
            let layer = repairedLayer(move.layer, module: move.module, input: g.shapes[x], graph: g, definedBy: nil)
            x = try g.append(Node(name: g.name(reusing: move.module), module: move.module, layer: layer, inputs: [x],
                                  location: move.location))
        }
        return ([x], false)
    }
}
