import NetIR

/// A module that `forward` uses as `self.NAME(x)` but `__init__` never defines, defined from its name where the
/// name says exactly one stateless layer (`self.relu` -> `nn.ReLU()`, `self.flatten` -> `nn.Flatten()`). After
/// input sizes, the commonest fault of small code models: they add a call in `forward` and forget the line in
/// `__init__`. Names that could mean several layers (`self.pool`: max or average, which kernel?; `self.act`;
/// `self.norm`, which has parameters) are never guessed. A name the parent network defined is a deleted layer
/// whose call was left behind (the commonest fault of a "delete a layer" reply): the call is dropped, the tensor
/// passes through, and the next layer's input size follows (`InputSizeRepair`).
public struct MissingModuleRepair: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The attribute name as used in `forward` (`relu2`).
    public var module: String
    /// The constructor the repair used (`nn.ReLU()`).
    public var constructor: String
    /// Where `forward` used it.
    public var location: SourceLocation?
    /// The parent defined the module: its call was dropped instead (`constructor` is empty).
    public var removed: Bool = false

    public var description: String {
        let at = location.map { "\($0): " } ?? ""
        if removed { return "\(at)call of self.\(module) dropped (the parent's layer, deleted from __init__)" }
        return "\(at)self.\(module) = \(constructor) (used in forward, never defined)"
    }

    /// The `torch.nn` constructor for a module name, or nil when the name is not unambiguous. Trailing digits
    /// and underscores are ignored (`relu2`, `dropout_1`), case too.
    public static func constructor(for name: String) -> (qualified: String, text: String)? {
        var stem = Substring(name.lowercased())
        while let last = stem.last, last.isNumber || last == "_" { stem = stem.dropLast() }
        let layer: String?
        switch stem {
        case "relu": layer = "ReLU"
        case "flatten": layer = "Flatten"
        case "dropout", "drop": layer = "Dropout"
        case "sigmoid": layer = "Sigmoid"
        case "tanh": layer = "Tanh"
        case "gelu": layer = "GELU"
        case "silu", "swish": layer = "SiLU"
        case "elu": layer = "ELU"
        case "leaky_relu", "leakyrelu": layer = "LeakyReLU"
        case "identity": layer = "Identity"
        case "avgpool", "global_pool", "gap", "global_avg_pool", "adaptive_pool":
            return ("torch.nn.AdaptiveAvgPool2d", "nn.AdaptiveAvgPool2d(1)")
        default: layer = nil
        }
        return layer.map { ("torch.nn.\($0)", "nn.\($0)()") }
    }
}

extension Interpreter {
    /// In repair mode, while `forward` runs: the module `self.NAME` should be, defined on `m` (registered as a
    /// child, so it is emitted and named like any other), or nil when no repair applies.
    func definedMissingModule(_ m: ModuleBox, _ name: String, at e: Expr) throws -> Value? {
        guard repairInputSizes, graph != nil, case .user = m.kind, m.children[name] == nil, m.attributes[name] == nil
        else { return nil }
        if m.path == nil, removedModules.contains(name) {
            // An unregistered Identity: calling it returns its input and adds no node.
            guard case .module(let box) = try construct("torch.nn.Identity", CallArguments(), at: e) else { return nil }
            missingModuleRepairs.append(MissingModuleRepair(module: name, constructor: "", location: location(e), removed: true))
            return .module(box)
        }
        guard let (qualified, text) = MissingModuleRepair.constructor(for: name) else { return nil }
        var args = CallArguments()
        if qualified.hasSuffix("AdaptiveAvgPool2d") { args.positional = [(.int(1), e)] }
        guard case .module(let box) = try construct(qualified, args, at: e) else { return nil }
        m.setChild(name, box)
        box.path = m.path.map { $0 + "." + name } ?? name
        missingModuleRepairs.append(MissingModuleRepair(module: name, constructor: text, location: location(e)))
        return .module(box)
    }
}
