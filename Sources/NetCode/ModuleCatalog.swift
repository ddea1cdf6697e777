import NetIR

/// The `torch.nn` layers we translate, with PyTorch's signatures and defaults. Functional forms (`F.max_pool2d`)
/// bind their own signatures but build layers through the same code, keyed by the module class name.
enum ModuleCatalog {
    static let signatures: [String: Signature] = [
        "Conv2d": Signature("in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None"),
        "Linear": Signature("in_features, out_features, bias=True, device=None, dtype=None"),
        "BatchNorm1d": Signature("num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None"),
        "BatchNorm2d": Signature("num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None"),
        "MaxPool2d": Signature("kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False"),
        "AvgPool2d": Signature("kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None"),
        "AdaptiveAvgPool2d": Signature("output_size"),
        "Dropout": Signature("p=0.5, inplace=False"),
        "Dropout2d": Signature("p=0.5, inplace=False"),
        "Flatten": Signature("start_dim=1, end_dim=-1"),
        "Softmax": Signature("dim=None"),
        "LogSoftmax": Signature("dim=None"),
    ].merging(Activation.kinds.map { ($0.className, Signature($0.moduleSignature)) }) { layer, _ in layer }
        .merging(normalizationSignatures) { layer, _ in layer }
        .merging(padPoolSignatures) { layer, _ in layer }

    static let containers: Set<String> = ["Sequential", "ModuleList", "ModuleDict", "Identity"]

    /// The functional name of each layer class, the stem of synthesized node names.
    static let functionalNames: [String: String] = [
        "MaxPool2d": "max_pool2d", "AvgPool2d": "avg_pool2d", "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
        "Dropout": "dropout", "Dropout2d": "dropout2d", "Flatten": "flatten", "Softmax": "softmax", "LogSoftmax": "log_softmax",
        "Conv2d": "conv2d", "Linear": "linear", "BatchNorm1d": "batch_norm", "BatchNorm2d": "batch_norm",
    ].merging(Activation.kinds.map { ($0.className, $0.functionalName) }) { layer, _ in layer }
        .merging(normalizationFunctionalNames) { layer, _ in layer }
        .merging(padPoolFunctionalNames) { layer, _ in layer }

    static func knows(_ q: String) -> Bool {
        guard q.hasPrefix("torch.nn.") else { return false }
        let short = String(q.dropFirst(9))
        return signatures[short] != nil || containers.contains(short) || lazy[short] != nil
    }

    /// Lazy layers: their signature, the concrete layer they become and the argument its first input sets.
    /// They are emitted back as that concrete layer (`nn.LazyLinear(10)` -> `nn.Linear(392, 10)`).
    static let lazy: [String: (signature: Signature, concrete: String, input: String)] = [
        "LazyLinear": (Signature("out_features, bias=True, device=None, dtype=None"), "Linear", "in_features"),
        "LazyConv2d": (Signature("out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, dtype=None"), "Conv2d", "in_channels"),
        "LazyBatchNorm1d": (Signature("eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None"), "BatchNorm1d", "num_features"),
        "LazyBatchNorm2d": (Signature("eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None"), "BatchNorm2d", "num_features"),
    ]

    static func unsupportedReason(_ q: String) -> String? {
        switch q {
        case "torch.nn.Dropout1d", "torch.nn.Dropout3d", "torch.nn.functional.dropout1d", "torch.nn.functional.dropout3d":
            return "it zeroes whole channels; plain dropout is not equivalent"
        case "torch.nn.Parameter": return "only layers' own parameters are trained"
        default: return nil
        }
    }

    static func layer(_ kind: String, _ b: BoundArguments) throws -> LeafLayer {
        let layer: Layer
        var dim: Int?
        var border: PadAttributes?
        switch kind {
        case "Conv2d":
            var a = try convolution(b)
            border = try convolutionBorder(b, padding: a.padding)
            if border != nil { a.padding = Pair(0) }
            if border == PadAttributes(0, mode: border?.mode ?? .constant) { border = nil }
            layer = .conv2d(a)
        case "Linear":
            let i = try b.int("in_features"), o = try b.int("out_features")
            try checkSize([i, o], b, "out_features")
            layer = .linear(inFeatures: i, outFeatures: o, bias: try b.bool("bias"))
        case "BatchNorm1d", "BatchNorm2d":
            let eps = try b.float("eps")
            guard eps > 0 else { throw b.fail("eps must be positive", "eps") }
            guard !b.isNone("momentum") else { throw b.fail("momentum=None (cumulative averaging) is not supported", "momentum", kind: .unsupportedOption) }
            try b.require("track_running_stats", .bool(true), "track_running_stats=False is not supported")
            layer = .batchNorm(BatchNormAttributes(features: try b.int("num_features"), dimensions: kind == "BatchNorm1d" ? 1 : 2,
                                                   eps: Float(eps), momentum: Float(try b.float("momentum")),
                                                   affine: try b.bool("affine")))
        case "MaxPool2d": layer = .maxPool2d(try pooling(b, average: false))
        case "AvgPool2d": layer = .avgPool2d(try pooling(b, average: true))
        case "AdaptiveAvgPool2d":
            let size = try b.pair("output_size")
            layer = .adaptiveAvgPool2d(outHeight: size.h, outWidth: size.w)
        case "Dropout":
            let p = try b.float("p")
            guard p >= 0 && p <= 1 else { throw b.fail("dropout probability has to be between 0 and 1, but got \(p)", "p") }
            layer = .dropout(p: Float(p))
        case "Dropout2d":
            let p = try b.float("p")
            guard p >= 0 && p < 1 else { throw b.fail("Dropout2d probability must be in [0, 1), got \(p)", "p") }
            layer = .dropout2d(p: Float(p))
        case "Flatten":
            guard case .int(let start) = b["start_dim"] else { throw b.fail("start_dim must be an integer", "start_dim") }
            try b.require("end_dim", .int(-1), "only end_dim=-1 is supported")
            dim = start
            layer = .flatten
        case "Softmax", "LogSoftmax":
            if case .int(let d) = b["dim"] { dim = d }
            else if !b.isNone("dim") { throw b.fail("dim must be an integer", "dim") }
            layer = kind == "Softmax" ? .softmax : .logSoftmax
        default:
            if let norm = try normalizationLayer(kind, b) {
                layer = norm.layer
                dim = norm.dim
                break
            }
            if let l = try padPoolLayer(kind, b) {
                layer = l
                break
            }
            let act: Activation?
            do {
                act = try Activation.make(className: kind, number: { try b.float($0) }, text: { b.string($0) })
            } catch let error as Activation.ArgumentError {
                throw b.fail(error.message, error.argument, kind: .arguments)
            }
            guard let act else { throw b.fail("\(kind) is not supported", "", kind: .unknownModule) }
            layer = .activation(act)
        }
        return LeafLayer(layer: layer, dim: dim, functionalName: functionalNames[kind] ?? kind.lowercased(), border: border)
    }

    private static func convolution(_ b: BoundArguments) throws -> Conv2dAttributes {
        let inC = try b.int("in_channels"), outC = try b.int("out_channels"), groups = try b.int("groups")
        let kernel = try b.pair("kernel_size"), stride = try b.pair("stride"), dilation = try b.pair("dilation")
        let padding: Pair
        switch b.string("padding") {
        case "valid"?: padding = Pair(0)
        case "same"?:
            guard stride == Pair(1) else { throw b.fail("padding='same' is not supported for strided convolutions", "padding", kind: .unsupportedOption) }
            let h = dilation.h * (kernel.h - 1), w = dilation.w * (kernel.w - 1)
            guard h % 2 == 0, w % 2 == 0 else {
                throw b.fail("padding='same' with an even kernel pads asymmetrically, which is not supported", "padding", kind: .unsupportedOption)
            }
            padding = Pair(h / 2, w / 2)
        case let other?: throw b.fail("padding='\(other)' is not supported", "padding", kind: .unsupportedOption)
        case nil: padding = try b.pair("padding", minimum: 0)
        }
        guard inC % groups == 0 else { throw b.fail("in_channels must be divisible by groups", "groups") }
        guard outC % groups == 0 else { throw b.fail("out_channels must be divisible by groups", "groups") }
        try checkSize([outC, inC / groups, kernel.h, kernel.w], b, "kernel_size")
        return Conv2dAttributes(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: padding,
                                dilation: dilation, groups: groups, bias: try b.bool("bias"))
    }

    private static func pooling(_ b: BoundArguments, average: Bool) throws -> Pool2dAttributes {
        let kernel = try b.pair("kernel_size")
        let stride = b.isNone("stride") ? kernel : try b.pair("stride")
        if average {
            try b.require("divisor_override", .none, "divisor_override is not supported")
        } else {
            try b.require("dilation", .int(1), "dilation is not supported for pooling")
            try b.require("return_indices", .bool(false), "return_indices=True is not supported")
        }
        return Pool2dAttributes(kernel: kernel, stride: stride, padding: try b.pair("padding", minimum: 0),
                                countIncludePad: average ? try b.bool("count_include_pad") : true, ceilMode: try b.bool("ceil_mode"))
    }

    /// Refuses layers whose parameter count would not fit comfortably in an Int.
    private static func checkSize(_ dims: [Int], _ b: BoundArguments, _ name: String) throws {
        var total = 1
        for d in dims {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Limits.tensorElements else { throw b.fail("the layer would have too many parameters", name) }
            total = product
        }
    }

    /// Attributes of layer instances that networks read back (`self.conv.out_channels`).
    static func attribute(of layer: Layer, _ name: String) -> Value? {
        func pair(_ p: Pair) -> Value { .tuple([.int(p.h), .int(p.w)]) }
        switch (layer, name) {
        case (.conv2d(let a), "in_channels"): return .int(a.inChannels)
        case (.conv2d(let a), "out_channels"): return .int(a.outChannels)
        case (.conv2d(let a), "kernel_size"): return pair(a.kernel)
        case (.conv2d(let a), "stride"): return pair(a.stride)
        case (.conv2d(let a), "padding"): return pair(a.padding)
        case (.conv2d(let a), "dilation"): return pair(a.dilation)
        case (.conv2d(let a), "groups"): return .int(a.groups)
        case (.conv2d(let a), "bias"): return a.bias ? .opaque : Value.none
        case (.linear(let i, _, _), "in_features"): return .int(i)
        case (.linear(_, let o, _), "out_features"): return .int(o)
        case (.linear(_, _, let bias), "bias"): return bias ? .opaque : Value.none
        case (.batchNorm(let a), "num_features"): return .int(a.features)
        case (.batchNorm(let a), "weight"), (.batchNorm(let a), "bias"): return a.affine ? .opaque : Value.none
        case (.conv2d, "weight"), (.linear, "weight"): return .opaque
        case (.dropout(let p), "p"), (.dropout2d(let p), "p"): return .float(Double(p))
        default: return nil
        }
    }
}

extension Interpreter {
    /// `nn.Sequential(*modules)` or `nn.Sequential(OrderedDict(...))`: children named `0, 1, ...` or by key.
    func fillSequential(_ box: ModuleBox, _ args: CallArguments, callee: String, at e: Expr) throws {
        guard args.keywords.isEmpty else { throw fail("\(callee)() takes no keyword arguments", at: e) }
        func child(_ v: Value, at x: Expr) throws -> ModuleBox {
            guard case .module(let m) = v else { throw fail("\(callee)() expects modules, got \(v.typeName)", at: x) }
            return m
        }
        if args.positional.count == 1, case .dict(let d) = args.positional[0].value {
            for (k, v) in zip(d.keys, d.values) {
                guard case .string(let name) = k, !name.isEmpty, !name.contains(".") else {
                    throw fail("\(callee)() module names must be non-empty strings without dots", at: e)
                }
                box.setChild(name, try child(v, at: e))
            }
        } else {
            for (i, arg) in args.positional.enumerated() { box.setChild(String(i), try child(arg.value, at: arg.expr)) }
        }
    }

    /// `nn.X(...)`: a layer or a container module.
    func construct(_ q: String, _ args: CallArguments, at e: Expr) throws -> Value {
        let short = String(q.dropFirst(9))
        let callee = calleeText(e, q)
        func child(_ v: Value, at x: Expr) throws -> ModuleBox {
            guard case .module(let m) = v else { throw fail("\(callee)() expects modules, got \(v.typeName)", at: x) }
            return m
        }
        func key(_ v: Value, at x: Expr) throws -> String {
            guard case .string(let s) = v, !s.isEmpty, !s.contains(".") else {
                throw fail("\(callee)() module names must be non-empty strings without dots", at: x)
            }
            return s
        }
        switch short {
        case "Sequential":
            let box = try newModule(.sequential, qualifiedType: q, at: e)
            try fillSequential(box, args, callee: callee, at: e)
            return .module(box)
        case "ModuleList", "ModuleDict":
            let b = try bind("modules=None", args, callee: callee, at: e)
            let box = try newModule(short == "ModuleList" ? .moduleList : .moduleDict, qualifiedType: q, at: e)
            guard !b.isNone("modules") else { return .module(box) }
            if short == "ModuleList" {
                for (i, v) in try materialize(b["modules"], at: e).enumerated() { box.setChild(String(i), try child(v, at: e)) }
            } else if case .dict(let d) = b["modules"] {
                for (k, v) in zip(d.keys, d.values) { box.setChild(try key(k, at: e), try child(v, at: e)) }
            } else {
                for pair in try materialize(b["modules"], at: e) {
                    guard let kv = pair.sequenceItems, kv.count == 2 else { throw fail("\(callee)() needs (name, module) pairs", at: e) }
                    box.setChild(try key(kv[0], at: e), try child(kv[1], at: e))
                }
            }
            return .module(box)
        case "Identity":
            let leaf = LeafLayer(layer: .identity, dim: nil, functionalName: "identity")
            return .module(try newModule(.leaf(leaf), qualifiedType: q, at: e))
        default:
            if let lazy = ModuleCatalog.lazy[short] { return try constructLazy(q, lazy, args, at: e) }
            guard let signature = ModuleCatalog.signatures[short] else { throw fail("\(callee) is not supported", at: e, kind: .unsupportedConstruct) }
            let leaf = try ModuleCatalog.layer(short, try bind(signature, args, callee: callee, at: e))
            return .module(try newModule(.leaf(leaf), qualifiedType: q, at: e))
        }
    }
}
