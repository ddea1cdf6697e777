/// What a trainable tensor is for; decides its default initialisation.
public enum ParameterRole: String, Hashable, Codable, Sendable {
    /// Conv/Linear weight: PyTorch's default `kaiming_uniform_(a=sqrt(5))`, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    case weight
    /// Conv/Linear bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    case bias
    /// BatchNorm gamma: ones.
    case scale
    /// BatchNorm beta: zeros.
    case shift
    /// PReLU's negative slope: 0.25 (PyTorch's `init`).
    case slope
}

/// A trainable tensor, named as PyTorch's `state_dict()` names it (`conv1.weight`).
public struct ParameterSpec: Hashable, Codable, Sendable {
    public var name: String
    public var module: String
    public var dims: [Int]
    public var role: ParameterRole
    /// Inputs feeding one output (for the default initialisation).
    public var fanIn: Int
    public var count: Int { dims.reduce(1, *) }

    public init(name: String, module: String, dims: [Int], role: ParameterRole, fanIn: Int) {
        self.name = name; self.module = module; self.dims = dims; self.role = role; self.fanIn = fanIn
    }
}

/// A non-trainable tensor that is part of the model: BatchNorm running statistics.
public struct BufferSpec: Hashable, Codable, Sendable {
    public enum Kind: String, Hashable, Codable, Sendable { case runningMean = "running_mean", runningVar = "running_var" }
    public var name: String
    public var module: String
    public var features: Int
    public var kind: Kind
}

extension Layer {
    /// The trainable tensors of this layer, in PyTorch's `state_dict` order (suffix, dims, role, fan-in).
    public var parameterShapes: [(suffix: String, dims: [Int], role: ParameterRole, fanIn: Int)] {
        switch self {
        case .conv2d(let a):
            let fanIn = a.inChannels / a.groups * a.kernel.h * a.kernel.w
            var r = [("weight", [a.outChannels, a.inChannels / a.groups, a.kernel.h, a.kernel.w], ParameterRole.weight, fanIn)]
            if a.bias { r.append(("bias", [a.outChannels], .bias, fanIn)) }
            return r
        case .linear(let i, let o, let bias):
            var r = [("weight", [o, i], ParameterRole.weight, i)]
            if bias { r.append(("bias", [o], .bias, i)) }
            return r
        case .batchNorm(let a):
            return a.affine ? [("weight", [a.features], .scale, 1), ("bias", [a.features], .shift, 1)] : []
        case .groupNorm(let a):
            return a.affine ? [("weight", [a.channels], .scale, 1), ("bias", [a.channels], .shift, 1)] : []
        case .prelu(let slopes):
            return [("weight", [slopes], .slope, 1)]
        case .layerNorm(let a):
            guard a.affine else { return [] }
            return [("weight", a.shape, .scale, 1)] + (a.bias ? [("bias", a.shape, ParameterRole.shift, 1)] : [])
        default:
            return []
        }
    }
}

extension Graph {
    /// Every trainable tensor, once per module (a module called twice shares its parameters), in node order.
    public var parameters: [ParameterSpec] {
        var seen = Set<String>()
        var result: [ParameterSpec] = []
        for node in nodes where seen.insert(node.module).inserted {
            for p in node.layer.parameterShapes {
                result.append(ParameterSpec(name: "\(node.module).\(p.suffix)", module: node.module, dims: p.dims,
                                            role: p.role, fanIn: p.fanIn))
            }
        }
        return result
    }

    /// BatchNorm running statistics, once per module, in node order.
    public var buffers: [BufferSpec] {
        var seen = Set<String>()
        var result: [BufferSpec] = []
        for node in nodes {
            guard case .batchNorm(let a) = node.layer, seen.insert(node.module).inserted else { continue }
            result.append(BufferSpec(name: "\(node.module).running_mean", module: node.module, features: a.features, kind: .runningMean))
            result.append(BufferSpec(name: "\(node.module).running_var", module: node.module, features: a.features, kind: .runningVar))
        }
        return result
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
