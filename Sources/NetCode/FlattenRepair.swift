import NetIR

/// A flatten put before a Linear that an image reaches when nothing has been flattened yet: a model that adds
/// convolutions or pooling after the classifier was written, or drops the `x.view(...)` line, leaves the first
/// Linear fed a [C, H, W] tensor. The only flatten that fits is the one right before it (the batch kept, as
/// `torch.flatten(x, 1)`); its in_features then follows from `InputSizeRepair`. Not done once any tensor was
/// flattened (then where the image should have ended is not clear), nor on a module's second call.
public struct FlattenRepair: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The Linear module's `state_dict` path.
    public var module: String
    /// The image shape that reached it, [C, H, W].
    public var shape: [Int]
    /// Where forward called it.
    public var location: SourceLocation?

    public var description: String {
        let at = location.map { "\($0): " } ?? ""
        return "\(at)flatten inserted before \(module) (it was given a [\(shape.map(String.init).joined(separator: ", "))] image)"
    }
}

extension Interpreter {
    /// In repair mode, for a Linear module called on an image while no tensor has rank 1 yet: the index of a new
    /// flatten node of that image, to be the Linear's input; nil when no repair applies.
    func flattenedInput(_ layer: Layer, module: String, input: Int, graph g: inout GraphState, at e: Expr) -> Int? {
        guard repairInputSizes, case .linear = layer, g.shapes[input].isImage,
              !g.shapes.contains(where: { $0.rank == 1 }), !g.nodes.contains(where: { $0.module == module }),
              let v = try? g.append(Node(name: g.synthetic("flatten_"), layer: .flatten, inputs: [input], location: location(e)))
        else { return nil }
        flattenRepairs.append(FlattenRepair(module: module, shape: g.shapes[input].dims, location: location(e)))
        return v
    }
}
