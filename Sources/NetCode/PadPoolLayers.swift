import NetIR

/// Padding layers (`nn.ZeroPad2d`, `ConstantPad2d`, `ReflectionPad2d`, `ReplicationPad2d`, `F.pad`, and the
/// border of `Conv2d(padding_mode='reflect'|'replicate')`), `AdaptiveMaxPool2d` and the alpha dropouts.
extension ModuleCatalog {
    static let padPoolSignatures: [String: Signature] = [
        "ZeroPad2d": Signature("padding"),
        "ConstantPad2d": Signature("padding, value"),
        "ReflectionPad2d": Signature("padding"),
        "ReplicationPad2d": Signature("padding"),
        "AdaptiveMaxPool2d": Signature("output_size, return_indices=False"),
        "AlphaDropout": Signature("p=0.5, inplace=False"),
        "FeatureAlphaDropout": Signature("p=0.5, inplace=False"),
    ]

    static let padPoolFunctionalNames: [String: String] = [
        "ZeroPad2d": "pad", "ConstantPad2d": "pad", "ReflectionPad2d": "pad", "ReplicationPad2d": "pad", "Pad": "pad",
        "AdaptiveMaxPool2d": "adaptive_max_pool2d", "AlphaDropout": "alpha_dropout",
        "FeatureAlphaDropout": "feature_alpha_dropout",
    ]

    /// The layer of one of the classes above (`Pad` is `F.pad`), nil for any other class.
    static func padPoolLayer(_ kind: String, _ b: BoundArguments) throws -> Layer? {
        switch kind {
        case "ZeroPad2d": return .pad(try padAmounts(b, "padding", mode: .constant))
        case "ConstantPad2d": return .pad(try padAmounts(b, "padding", mode: .constant, value: Float(try b.float("value"))))
        case "ReflectionPad2d": return .pad(try padAmounts(b, "padding", mode: .reflect))
        case "ReplicationPad2d": return .pad(try padAmounts(b, "padding", mode: .replicate))
        case "Pad":
            let mode: PadMode
            switch b.string("mode") {
            case "constant"?: mode = .constant
            case "reflect"?: mode = .reflect
            case "replicate"?: mode = .replicate
            case let other: throw b.fail("mode=\(other.map { "'\($0)'" } ?? "this value") is not supported (constant, reflect or replicate)",
                                         "mode", kind: .unsupportedOption)
            }
            let value = b.isNone("value") ? 0 : try b.float("value")
            guard mode == .constant || value == 0 else { throw b.fail("value is only used with mode='constant'", "value") }
            return .pad(try padAmounts(b, "pad", mode: mode, value: Float(value)))
        case "AdaptiveMaxPool2d":
            try b.require("return_indices", .bool(false), "return_indices=True is not supported")
            let size = try b.pair("output_size")
            return .adaptiveMaxPool2d(outHeight: size.h, outWidth: size.w)
        case "AlphaDropout", "FeatureAlphaDropout":
            let p = try b.float("p")
            guard p >= 0 && p < 1 else { throw b.fail("\(kind) probability must be in [0, 1), got \(p)", "p") }
            return .alphaDropout(p: Float(p), feature: kind == "FeatureAlphaDropout")
        default:
            return nil
        }
    }

    /// An int (every side) or `F.pad`'s order (left, right[, top, bottom]); the modules take 4 or an int.
    private static func padAmounts(_ b: BoundArguments, _ name: String, mode: PadMode, value: Float = 0) throws -> PadAttributes {
        if case .int = b[name] {
            guard name == "padding" else { throw b.fail("pad must be a tuple of (left, right[, top, bottom])", name) }
            return PadAttributes(try b.int(name, minimum: 0), mode: mode, value: value)
        }
        guard let items = b[name].sequenceItems, items.count == 4 || (name == "pad" && items.count == 2) else {
            throw b.fail("\(name) must be an int or (left, right, top, bottom)\(name == "pad" ? " or (left, right)" : "")", name)
        }
        var sides: [Int] = []
        for item in items {
            guard case .int(let v) = item else { throw b.fail("\(name) must hold integers, got \(item.typeName)", name) }
            guard v >= 0 else { throw b.fail("negative padding (cropping) is not supported", name, kind: .unsupportedOption) }
            guard v <= Limits.dimension else { throw b.fail("\(name)=\(v) is too large", name) }
            sides.append(v)
        }
        if sides.count == 2 { sides += [0, 0] }
        return PadAttributes(left: sides[0], right: sides[1], top: sides[2], bottom: sides[3], mode: mode, value: value)
    }

    /// The border a `Conv2d` with `padding_mode` other than 'zeros' pads before convolving (nil for 'zeros').
    static func convolutionBorder(_ b: BoundArguments, padding: Pair) throws -> PadAttributes? {
        let mode: PadMode
        switch b.string("padding_mode") {
        case "zeros"?: return nil
        case "reflect"?: mode = .reflect
        case "replicate"?: mode = .replicate
        case let other:
            throw b.fail("padding_mode=\(other.map { "'\($0)'" } ?? "this value") is not supported ('zeros', 'reflect' or 'replicate')",
                         "padding_mode", kind: .unsupportedOption)
        }
        return PadAttributes(left: padding.w, right: padding.w, top: padding.h, bottom: padding.h, mode: mode)
    }
}

extension Interpreter {
    /// The Pad node a Conv2d with a reflect/replicate `padding_mode` runs first (named like `F.pad`, so the
    /// emitter writes it back as `F.pad(x, ..., mode=...)` before a Conv2d with padding 0); `x` itself otherwise.
    func applyBorder(_ leaf: LeafLayer, _ x: Int, at e: Expr) throws -> Int {
        guard let border = leaf.border else { return x }
        let prefix = dummyBatch != nil ? "dummy_" : "pad_f"
        guard case .tensor(let padded) = try addNode(.pad(border), [x], name: graph?.synthetic(prefix) ?? prefix, module: nil,
                                                     at: e, definedBy: nil) else { return x }
        return padded
    }
}

extension Interpreter {
    /// `torch.amax(x, dim=(2, 3))` / `x.amax((2, 3))`: global max pooling, flattened unless `keepdim=True`.
    func amax(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        let rank = shape(x).rank
        let dims = (b["dim"].sequenceItems ?? [b["dim"]]).map { v -> Int in
            guard case .int(let d) = v else { return 0 }
            return d < 0 ? d + rank + 1 : d
        }
        guard rank == 3, Set(dims) == [2, 3], dims.count == 2 else {
            throw b.fail("only the max over the spatial dims (2, 3) of an image is supported", "dim", kind: .unsupportedOption)
        }
        // Named amax_f<n> so that the emitter writes it back as an amax.
        let pooled = try addNode(.adaptiveMaxPool2d(outHeight: 1, outWidth: 1), [x], name: graph?.synthetic("amax_f") ?? "amax",
                                 module: nil, at: e, definedBy: nil)
        guard try !b.bool("keepdim"), case .tensor(let p) = pooled else { return pooled }
        return try addNode(.flatten, [p], name: graph?.synthetic("flatten_") ?? "flatten", module: nil, at: e, definedBy: nil)
    }
}

extension Emitter {
    /// `nn.ZeroPad2d`, `ConstantPad2d`, `ReflectionPad2d` or `ReplicationPad2d`, an int when every side is equal.
    static func padModule(_ a: PadAttributes) -> String {
        let sides = [a.left, a.right, a.top, a.bottom]
        let amounts = Set(sides).count == 1 ? "\(a.left)" : "(\(sides.map(String.init).joined(separator: ", ")))"
        switch a.mode {
        case .constant: return a.value == 0 ? "nn.ZeroPad2d(\(amounts))" : "nn.ConstantPad2d(\(amounts), \(a.value))"
        case .reflect: return "nn.ReflectionPad2d(\(amounts))"
        case .replicate: return "nn.ReplicationPad2d(\(amounts))"
        }
    }

    /// `F.pad(x, (left, right, top, bottom)[, mode=...][, value=...])`.
    static func padCall(_ a: PadAttributes, _ x: String) -> String {
        var text = "F.pad(\(x), (\(a.left), \(a.right), \(a.top), \(a.bottom))"
        switch a.mode {
        case .constant: if a.value != 0 { text += ", value=\(a.value)" }
        case .reflect: text += ", mode='reflect'"
        case .replicate: text += ", mode='replicate'"
        }
        return text + ")"
    }
}

extension Interpreter {
    /// `x.max(dim=2)` / `torch.max(x, 2)` on a `[C, L]` tensor (`x.flatten(2)` of an image): the global max pool of
    /// the view `[C, 1, L]`, viewed back to `[C]` (`[C, 1]` with keepdim). PyTorch returns (values, indices);
    /// the indices are not modelled and come back as None (`x, _ = x.max(dim=2)` is the form models write).
    func maxOverDimension(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        guard case .int(let d) = b["dim"] else {
            if case .tensor = b["dim"] {
                throw b.fail("the elementwise maximum of two tensors is not supported", "dim", kind: .unsupportedConstruct)
            }
            throw b.fail("only the max over one dimension (dim=...) is supported; amax over (2, 3) pools an image", "dim",
                         kind: .unsupportedOption)
        }
        let dims = shape(x).dims, k = d < 0 ? d + dims.count + 1 : d
        guard dims.count == 2, k == 2 else {
            throw b.fail("max over dim=\(d) is only supported over the last dimension of a [C, L] tensor (x.flatten(2)); "
                         + "amax over (2, 3) pools an image", "dim", kind: .unsupportedOption)
        }
        guard case .tensor(let planes) = try view(x, [dims[0], 1, dims[1]], at: e),
              case .tensor(let pooled) = try addNode(.adaptiveMaxPool2d(outHeight: 1, outWidth: 1), [planes],
                                                     name: graph?.synthetic("adaptive_max_pool2d_f") ?? "max", module: nil,
                                                     at: e, definedBy: nil) else { return .none }
        let values = try view(pooled, try b.bool("keepdim") ? [dims[0], 1] : [dims[0]], at: e)
        return .tuple([values, .none])
    }
}
