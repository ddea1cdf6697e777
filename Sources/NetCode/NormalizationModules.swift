import NetIR

/// `nn.GroupNorm`, `nn.InstanceNorm2d` (a GroupNorm with one group per channel: the same computation, the same
/// `weight`/`bias` names), `nn.LayerNorm` / `F.layer_norm`, and `nn.PReLU` (the other layer with parameters that
/// is not a convolution or a linear map).
extension ModuleCatalog {
    static let normalizationSignatures: [String: Signature] = [
        "GroupNorm": Signature("num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None"),
        "InstanceNorm2d": Signature("num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None"),
        "LayerNorm": Signature("normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, dtype=None"),
        "PReLU": Signature("num_parameters=1, init=0.25, device=None, dtype=None"),
    ]

    static let normalizationFunctionalNames: [String: String] = [
        "GroupNorm": "group_norm", "InstanceNorm2d": "instance_norm", "LayerNorm": "layer_norm", "PReLU": "prelu",
    ]

    /// The layer of a normalisation module (or `F.layer_norm`, bound with its own signature); nil for other kinds.
    static func normalizationLayer(_ kind: String, _ b: BoundArguments) throws -> Layer? {
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
        default:
            return nil
        }
    }
}
