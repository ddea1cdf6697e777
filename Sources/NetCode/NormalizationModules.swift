import NetIR

/// `nn.GroupNorm`, `nn.InstanceNorm2d` (a GroupNorm with one group per channel: the same computation, the same
/// `weight`/`bias` names), `nn.LayerNorm` / `F.layer_norm`, and `nn.PReLU` (the other layer with parameters that
/// is not a convolution or a linear map), `nn.LocalResponseNorm` / `F.local_response_norm` and `F.normalize`.
extension ModuleCatalog {
    static let normalizationSignatures: [String: Signature] = [
        "GroupNorm": Signature("num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None"),
        "InstanceNorm2d": Signature("num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None"),
        "LayerNorm": Signature("normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, dtype=None"),
        "PReLU": Signature("num_parameters=1, init=0.25, device=None, dtype=None"),
        "LocalResponseNorm": Signature("size, alpha=0.0001, beta=0.75, k=1.0"),
    ]

    /// `F.normalize` (no module class) and `F.local_response_norm`, bound with their own signatures.
    static let normalizationFunctional: [String: (kind: String, signature: Signature)] = [
        "normalize": ("Normalize", Signature("input, p=2.0, dim=1, eps=1e-12, out=None")),
        "local_response_norm": ("LocalResponseNorm", Signature("input, size, alpha=0.0001, beta=0.75, k=1.0")),
        "layer_norm": ("LayerNorm", Signature("input, normalized_shape, weight=None, bias=None, eps=1e-05")),
    ]

    static let normalizationFunctionalNames: [String: String] = [
        "GroupNorm": "group_norm", "InstanceNorm2d": "instance_norm", "LayerNorm": "layer_norm", "PReLU": "prelu",
        "LocalResponseNorm": "local_response_norm", "Normalize": "normalize",
    ]

    /// The layer of a normalisation module (or a functional form, bound with its own signature), with the `dim` it
    /// works along where that depends on the input (`F.normalize`); nil for other kinds.
    static func normalizationLayer(_ kind: String, _ b: BoundArguments) throws -> (layer: Layer, dim: Int?)? {
        guard let layer = try normalizationLayerOnly(kind, b) else { return nil }
        guard kind == "Normalize" else { return (layer, nil) }
        guard case .int(let dim) = b["dim"] else { throw b.fail("dim must be an integer", "dim") }
        return (layer, dim)
    }

    private static func normalizationLayerOnly(_ kind: String, _ b: BoundArguments) throws -> Layer? {
        func eps() throws -> Float {
            let eps = try b.float("eps")
            guard eps > 0 else { throw b.fail("eps must be positive", "eps") }
            return Float(eps)
        }
        switch kind {
        case "GroupNorm":
            let groups = try b.int("num_groups"), channels = try b.int("num_channels")
            guard channels % groups == 0 else { throw b.fail("num_channels must be divisible by num_groups", "num_groups") }
            return .groupNorm(GroupNormAttributes(groups: groups, channels: channels, eps: try eps(), affine: try b.bool("affine")))
        case "InstanceNorm2d":
            try b.require("track_running_stats", .bool(false), "track_running_stats=True is not supported")
            let channels = try b.int("num_features")
            return .groupNorm(GroupNormAttributes(groups: channels, channels: channels, eps: try eps(), affine: try b.bool("affine")))
        case "LayerNorm":
            // F.layer_norm has no elementwise_affine; its weight and bias are tensors, which we do not take.
            let functional = b.isNone("elementwise_affine")
            if functional {
                try b.require("weight", .none, "F.layer_norm with a weight tensor is not supported (use nn.LayerNorm)")
                try b.require("bias", .none, "F.layer_norm with a bias tensor is not supported (use nn.LayerNorm)")
            }
            let shape: [Int]
            if case .int = b["normalized_shape"] {
                shape = [try b.int("normalized_shape")]
            } else if let items = b["normalized_shape"].sequenceItems, !items.isEmpty {
                shape = try items.map {
                    guard case .int(let d) = $0, d >= 1, d <= Limits.dimension else {
                        throw b.fail("normalized_shape must hold positive integers", "normalized_shape")
                    }
                    return d
                }
            } else {
                throw b.fail("normalized_shape must be an int or a list of ints", "normalized_shape")
            }
            return .layerNorm(LayerNormAttributes(shape: shape, eps: try eps(), affine: functional ? false : try b.bool("elementwise_affine"),
                                                  bias: functional ? false : try b.bool("bias")))
        case "PReLU":
            // The slopes start at 0.25, as our initialisation of the `.slope` role does.
            guard let initial = try? b.float("init"), initial == 0.25 else {
                throw b.fail("PReLU init other than 0.25 is not supported", "init", kind: .unsupportedOption)
            }
            return .prelu(slopes: try b.int("num_parameters"))
        case "LocalResponseNorm":
            let alpha = try b.float("alpha"), beta = try b.float("beta"), k = try b.float("k")
            guard alpha >= 0, beta >= 0, k >= 0 else { throw b.fail("alpha, beta and k must be non-negative", "alpha") }
            guard k > 0 || beta == 0 else { throw b.fail("k=0 divides by zero where a window is all zeros; not supported", "k", kind: .unsupportedOption) }
            return .localResponseNorm(LocalResponseNormAttributes(size: try b.int("size"), alpha: Float(alpha), beta: Float(beta), k: Float(k)))
        case "Normalize":
            guard (try? b.float("p")) == 2 else { throw b.fail("only p=2 (the Euclidean norm) is supported", "p", kind: .unsupportedOption) }
            try b.require("out", .none, "out= is not supported")
            let eps = try b.float("eps")
            guard eps > 0, Float(eps) * Float(eps) > 0 else { throw b.fail("eps must be positive (and its square a Float above 0)", "eps") }
            return .l2Normalize(eps: Float(eps))
        default:
            return nil
        }
    }
}
