import NetIR

/// One input size set from the tensor that reaches the module, as PyTorch's `LazyLinear`, `LazyConv2d` and
/// `LazyBatchNorm2d` do: the fix for the commonest fault of model-written networks (a layer before was
/// changed and the next layer's declared input no longer matches).
public struct InputSizeRepair: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The module's `state_dict` path (`fc1`, `features.3`).
    public var module: String
    /// `Linear`, `Conv2d`, `BatchNorm2d`, ...
    public var layer: String
    /// `in_features`, `in_channels` or `num_features`.
    public var attribute: String
    public var from: Int
    public var to: Int
    /// Where the module was constructed.
    public var location: SourceLocation?

    public var description: String {
        let at = location.map { "\($0): " } ?? ""
        return "\(at)\(module) = \(layer)(\(attribute)=\(from) -> \(to))"
    }
}

extension Interpreter {
    /// The layer a module call adds in repair mode. Only the input-side size of Linear, Conv2d (groups=1) and
    /// BatchNorm is changed, only when the input already has the rank the layer needs (a Linear fed an image
    /// is not repaired: where to flatten is not unambiguous), and only on a module's first call: a module
    /// that was already called with its declared size would need two sizes at once. Later calls reuse the
    /// repaired layer, so shared parameters stay one tensor.
    func repairedLayer(_ layer: Layer, module: String, input: TensorShape, graph g: GraphState,
                       definedBy m: ModuleBox?) -> Layer {
        if let done = repairedLayers[module] { return done }
        let changed: (Layer, String, Int, Int)?
        switch layer {
        case .conv2d(var a) where input.isImage && a.groups == 1 && a.inChannels != input.channels:
            let from = a.inChannels
            a.inChannels = input.channels
            changed = (.conv2d(a), "in_channels", from, input.channels)
        case .linear(let i, let o, let bias) where input.rank == 1 && i != input.count:
            changed = (.linear(inFeatures: input.count, outFeatures: o, bias: bias), "in_features", i, input.count)
        case .batchNorm(var a) where (a.dimensions == 2 ? input.isImage : input.rank == 1) && a.features != input.channels:
            let from = a.features
            a.features = input.channels
            changed = (.batchNorm(a), "num_features", from, input.channels)
        default:
            changed = nil
        }
        guard let (repaired, attribute, from, to) = changed, !g.nodes.contains(where: { $0.module == module }) else {
            return layer
        }
        inputSizeRepairs.append(InputSizeRepair(module: module, layer: layer.typeName, attribute: attribute, from: from,
                                                to: to, location: m?.location))
        repairedLayers[module] = repaired
        return repaired
    }
}
