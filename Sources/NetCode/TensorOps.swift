import NetIR

/// Functional ops and tensor methods: `F.relu`, `torch.flatten`, `torch.cat`, `x.view`, ... Each becomes one
/// graph node (or none, for no-ops such as `x.contiguous()`).
enum TensorOps {
    /// `torch.nn.functional` names, the layer class they share a builder with, and their own signatures.
    static let functional: [String: (kind: String, signature: Signature)] = [
        "max_pool2d": ("MaxPool2d", Signature("input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False")),
        "avg_pool2d": ("AvgPool2d", Signature("input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None")),
        "adaptive_avg_pool2d": ("AdaptiveAvgPool2d", Signature("input, output_size")),
        "dropout": ("Dropout", Signature("input, p=0.5, training=True, inplace=False")),
        "dropout2d": ("Dropout2d", Signature("input, p=0.5, training=True, inplace=False")),
        "pad": ("Pad", Signature("input, pad, mode='constant', value=None")),
        "adaptive_max_pool2d": ("AdaptiveMaxPool2d", Signature("input, output_size, return_indices=False")),
        "alpha_dropout": ("AlphaDropout", Signature("input, p=0.5, training=False, inplace=False")),
        "feature_alpha_dropout": ("FeatureAlphaDropout", Signature("input, p=0.5, training=False, inplace=False")),
        "softmax": ("Softmax", Signature("input, dim=None, _stacklevel=3, dtype=None")),
        "log_softmax": ("LogSoftmax", Signature("input, dim=None, _stacklevel=3, dtype=None")),
        "relu_": ("ReLU", Signature("input")),
    ].merging(Activation.kinds.map { ($0.functionalName, ($0.className, Signature($0.functionalSignature))) }) { entry, _ in entry }
        .merging(ModuleCatalog.normalizationFunctional) { entry, _ in entry }
        .merging(UpsamplingModules.functional) { entry, _ in entry }
    static let torchFunctions: Set<String> = Set(Activation.kinds.filter(\.onTensor).map(\.functionalName)).union([
        "relu_", "softmax", "log_softmax", "flatten", "cat", "concat", "concatenate", "add", "mean", "mul", "multiply", "squeeze", "unsqueeze", "amax", "max",
        "chunk", "split", "stack", "sum", "transpose", "permute",
    ])

    /// Tensor methods (`x.view(...)`) the interpreter translates; `tensorMethod` implements each.
    static let methods: Set<String> = [
        "size", "dim", "view", "reshape", "flatten", "contiguous", "relu", "relu_", "sigmoid", "tanh", "mean",
        "softmax", "log_softmax", "add", "numel", "mul", "multiply", "squeeze", "unsqueeze", "amax", "max",
        "chunk", "split", "sum", "expand_as", "transpose", "permute",
    ]

    /// Tensor constructors: outside `forward` they start a dummy forward (`DummyForward`), inside it they are
    /// refused (a constant tensor is not part of the network).
    static let constructors: Set<String> = [
        "torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.empty", "torch.full",
    ]

    /// Contexts `with` may enter: gradient modes, which change nothing about the network's shape.
    static let gradientContexts: Set<String> = [
        "torch.no_grad", "torch.inference_mode", "torch.enable_grad", "torch.set_grad_enabled",
        "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
    ]

    static func knows(_ q: String) -> Bool {
        if q.hasPrefix("torch.nn.functional.") { return functional[String(q.dropFirst(20))] != nil }
        if constructors.contains(q) { return true }
        return q.hasPrefix("torch.") && torchFunctions.contains(String(q.dropFirst(6)))
    }
}

extension Interpreter {
    func shape(_ x: Int) -> TensorShape { graph?.shapes[x] ?? TensorShape([]) }

    /// `x.size()` / `x.shape`: the batch placeholder followed by the known per-sample sizes.
    func sizeTuple(of x: Int) -> Value { .tuple([batchValue] + shape(x).dims.map { .int($0) }) }

    /// The batch size as a value: symbolic in `forward`, the dummy input's own in a dummy forward.
    var batchValue: Value { dummyBatch.map { .int($0) } ?? .batch }

    func callTensorFunction(_ q: String, _ args: CallArguments, at e: Expr) throws -> Value {
        let isFunctional = q.hasPrefix("torch.nn.functional.")
        let name = String(q.dropFirst(isFunctional ? 20 : 6))
        let callee = calleeText(e, q)
        if TensorOps.constructors.contains(q) { return try dummyInput(callee, args, at: e) }
        switch (isFunctional, name) {
        case (false, "flatten"):
            let b = try bind("input, start_dim=0, end_dim=-1", args, callee: callee, at: e)
            return try flatten(try tensor(b, "input"), b, at: e)
        case (false, "cat"), (false, "concat"), (false, "concatenate"):
            return try concatenate(try bind("tensors, dim=0", args, callee: callee, at: e), at: e)
        case (false, "add"):
            let b = try bind("input, other, alpha=1", args, callee: callee, at: e)
            try b.require("alpha", .int(1), "alpha is not supported")
            return try addTensors([try tensor(b, "input"), try tensor(b, "other")], at: e)
        case (false, "mul"), (false, "multiply"):
            let b = try bind("input, other", args, callee: callee, at: e)
            guard let result = try tensorArithmetic(.multiply, b["input"], b["other"], at: e) else {
                throw fail("\(callee) needs a tensor and a tensor or number", at: e)
            }
            return result
        case (false, "squeeze"), (false, "unsqueeze"):
            let b = try bind(name == "squeeze" ? "input, dim=None" : "input, dim", args, callee: callee, at: e)
            return try squeeze(try tensor(b, "input"), b, unsqueeze: name == "unsqueeze", at: e)
        case (false, "mean"), (false, "sum"):
            let b = try bind("input, dim=None, keepdim=False, dtype=None", args, callee: callee, at: e)
            if case .stacked(let xs, let dim) = b["input"] { return try reduceStack(xs, dim: dim, name, b, at: e) }
            return name == "sum" ? try sum(try tensor(b, "input"), b, at: e) : try mean(try tensor(b, "input"), b, at: e)
        case (false, "max"):
            let b = try bind("input, dim=None, keepdim=False", args, callee: callee, at: e)
            return try maxOverDimension(try tensor(b, "input"), b, at: e)
        case (false, "amax"):
            let b = try bind("input, dim=None, keepdim=False", args, callee: callee, at: e)
            return try amax(try tensor(b, "input"), b, at: e)
        case (false, "chunk"):
            let b = try bind("input, chunks, dim=0", args, callee: callee, at: e)
            return try chunk(try tensor(b, "input"), b, callee, at: e)
        case (false, "split"):
            let b = try bind("tensor, split_size_or_sections, dim=0", args, callee: callee, at: e)
            return try split(try tensor(b, "tensor"), b, "split_size_or_sections", callee, at: e)
        case (false, "transpose"):
            let b = try bind("input, dim0, dim1", args, callee: callee, at: e)
            return try transpose(try tensor(b, "input"), b, at: e)
        case (false, "permute"):
            let b = try bind("input, dims", args, callee: callee, at: e)
            return try permute(try tensor(b, "input"), b["dims"].sequenceItems ?? [b["dims"]], callee, at: e)
        case (false, "stack"):
            return try stack(try bind("tensors, dim=0", args, callee: callee, at: e), at: e)
        default:
            guard let entry = TensorOps.functional[name] else { throw fail("\(callee) is not supported", at: e, kind: .unsupportedConstruct) }
            let b = try bind(entry.signature, args, callee: callee, at: e)
            let x = try tensor(b, "input")
            if ["dropout", "dropout2d", "alpha_dropout", "feature_alpha_dropout"].contains(name) {
                switch b["training"] {
                case .bool(false): return .tensor(x)
                case .bool(true), .training: break
                default: throw b.fail("training must be True, False or self.training", "training")
                }
            }
            return try applyFunctional(try ModuleCatalog.layer(entry.kind, b), x, callee, at: e)
        }
    }

    func tensorMethod(_ x: Int, _ name: String, _ args: CallArguments, at e: Expr) throws -> Value {
        let callee = calleeText(e, "Tensor.\(name)")
        let rank = shape(x).rank
        switch name {
        case "size":
            let b = try bind("dim=None", args, callee: callee, at: e)
            guard case .int(let d) = b["dim"] else { return sizeTuple(of: x) }
            let i = d < 0 ? d + rank + 1 : d
            guard i >= 0, i <= rank else { throw b.fail("dimension \(d) is out of range for a \(rank + 1)-d tensor", "dim") }
            return i == 0 ? batchValue : .int(shape(x).dims[i - 1])
        case "dim":
            _ = try bind("", args, callee: callee, at: e)
            return .int(rank + 1)
        case "numel":
            _ = try bind("", args, callee: callee, at: e)
            return try numel(x, callee, at: e)
        case "contiguous":
            return .tensor(x)
        case "view", "reshape":
            return try reshape(x, try sizeArguments(args, callee, at: e), callee, at: e)
        case "flatten":
            return try flatten(x, try bind("start_dim=0, end_dim=-1", args, callee: callee, at: e), at: e)
        case "squeeze", "unsqueeze":
            return try squeeze(x, try bind(name == "squeeze" ? "dim=None" : "dim", args, callee: callee, at: e),
                               unsqueeze: name == "unsqueeze", at: e)
        case "mean":
            return try mean(x, try bind("dim=None, keepdim=False, dtype=None", args, callee: callee, at: e), at: e)
        case "max":
            return try maxOverDimension(x, try bind("dim=None, keepdim=False", args, callee: callee, at: e), at: e)
        case "amax":
            return try amax(x, try bind("dim=None, keepdim=False", args, callee: callee, at: e), at: e)
        case "sum":
            return try sum(x, try bind("dim=None, keepdim=False, dtype=None", args, callee: callee, at: e), at: e)
        case "chunk":
            return try chunk(x, try bind("chunks, dim=0", args, callee: callee, at: e), callee, at: e)
        case "split":
            return try split(x, try bind("split_size, dim=0", args, callee: callee, at: e), "split_size", callee, at: e)
        case "transpose":
            return try transpose(x, try bind("dim0, dim1", args, callee: callee, at: e), at: e)
        case "permute":
            return try permute(x, try sizeArguments(args, callee, at: e), callee, at: e)
        case "expand_as":
            return try expandAs(x, try bind("other", args, callee: callee, at: e), at: e)
        case "mul", "multiply":
            let b = try bind("other", args, callee: callee, at: e)
            guard let result = try tensorArithmetic(.multiply, .tensor(x), b["other"], at: e) else {
                throw fail("\(callee) needs a tensor or number", at: e)
            }
            return result
        case "add":
            let b = try bind("other, alpha=1", args, callee: callee, at: e)
            try b.require("alpha", .int(1), "alpha is not supported")
            return try addTensors([x, try tensor(b, "other")], at: e)
        case "softmax", "log_softmax":
            let b = try bind("dim=None, dtype=None", args, callee: callee, at: e)
            return try applyFunctional(try ModuleCatalog.layer(name == "softmax" ? "Softmax" : "LogSoftmax", b), x, callee, at: e)
        default:
            let kind = name == "relu_" ? "ReLU" : Activation.kinds.first { $0.onTensor && $0.functionalName == name }?.className ?? name
            let b = try bind("", args, callee: callee, at: e)
            return try applyFunctional(try ModuleCatalog.layer(kind, b), x, callee, at: e)
        }
    }

    func tensor(_ b: BoundArguments, _ name: String) throws -> Int {
        guard case .tensor(let x) = b[name] else { throw b.fail("\(name) must be a tensor, got \(b[name].typeName)", name) }
        return x
    }

    /// Calls a layer module on a tensor: its node is named by its module path (`features.0`, `relu_1` when
    /// called again) and owns the module's parameters.
    func applyLeaf(_ m: ModuleBox, _ leaf: LeafLayer, _ x: Int, at e: Expr) throws -> Value {
        let leaf = try resolveLazy(m, leaf, x, at: e)
        let x = try applyBorder(leaf, x, at: e)
        if dummyBatch != nil { return try dummyCall(m, leaf, x, at: e) }
        guard let path = m.path, graph != nil else {
            guard leaf.layer.parameterShapes.isEmpty else {
                throw fail("\(m.typeName) is not a registered submodule: assign it to self.<name> in __init__ (layers kept in a Python list are invisible to PyTorch; use nn.ModuleList)", at: e)
            }
            if leaf.layer == .identity { return .tensor(x) }
            return try applyFunctional(leaf, x, m.typeName, at: e)
        }
        try checkInput(leaf, x, m.typeName, at: e)
        m.called = true
        return try addNode(leaf.layer, [x], name: graph?.name(reusing: path) ?? path, module: path, at: e, definedBy: m)
    }

    private func applyFunctional(_ leaf: LeafLayer, _ x: Int, _ callee: String, at e: Expr) throws -> Value {
        try checkInput(leaf, x, callee, at: e)
        let prefix = leaf.layer == .flatten ? "flatten_" : leaf.functionalName + "_f"
        return try addNode(leaf.layer, [x], name: graph?.synthetic(prefix) ?? prefix, module: nil, at: e, definedBy: nil)
    }

    /// Checks the options that depend on the input's rank (softmax and flatten dims).
    func checkInput(_ leaf: LeafLayer, _ x: Int, _ callee: String, at e: Expr) throws {
        let rank = shape(x).rank
        switch leaf.layer {
        case .softmax, .logSoftmax:
            guard rank == 1 else { throw fail("\(callee) over a [\(shape(x))] image tensor is not supported; flatten first", at: e, kind: .unsupportedConstruct) }
            if let d = leaf.dim, d != 1 && d != -1 {
                throw fail("\(callee) over dim=\(d) is not supported (only dim=1, the features)", at: e, kind: .unsupportedConstruct)
            }
        case .l2Normalize:
            let d = leaf.dim ?? 1
            guard rank >= 1, d == 1 || (rank == 1 && d == -1) else {
                throw fail("\(callee) over dim=\(d) is not supported (only dim=1, the channels or features)", at: e, kind: .unsupportedConstruct)
            }
        case .flatten:
            let start = leaf.dim ?? 1
            guard (start < 0 ? start + rank + 1 : start) == 1 else {
                throw fail("\(callee) with start_dim=\(start) is not supported (only start_dim=1, which keeps the batch dimension)", at: e, kind: .unsupportedConstruct)
            }
        default: break
        }
    }

    func addNode(_ layer: Layer, _ inputs: [Int], name: String, module: String?, at e: Expr,
                 definedBy m: ModuleBox?) throws -> Value {
        guard var g = graph else { throw fail("tensor operations are only possible inside forward()", at: e) }
        graph = nil
        defer { graph = g }
        guard g.nodes.count < Limits.nodes else { throw fail("the network has more than \(Limits.nodes) nodes", at: e, kind: .limit) }
        var layer = layer
        var inputs = inputs
        do {
            let hoisted = try hoistingMisplaced(inputs, module: module, graph: &g, at: e)
            if hoisted.passThrough { return .tensor(inputs[0]) }
            inputs = hoisted.inputs
        } catch {
            throw fail("moving a layer before the flatten: \(error.message)", at: e, kind: .shape, layer: name)
        }
        if let module, inputs.count == 1, let flat = flattenedInput(layer, module: module, input: inputs[0], graph: &g, at: e) {
            inputs = [flat]
        }
        if repairInputSizes, let module, inputs.count == 1 {
            layer = repairedLayer(layer, module: module, input: g.shapes[inputs[0]], graph: g, definedBy: m)
        }
        if case .add = layer, let projected = projectedShortcut(inputs, graph: &g, at: e) { inputs = projected }
        let v: Int
        do {
            v = try g.append(Node(name: name, module: module, layer: layer, inputs: inputs, location: location(e)))
        } catch {
            misplacedLayer = misplacedImageLayer(layer, module: module, inputs: inputs, graph: g, at: e, definedBy: m)
            let origin = m.map { " (\($0.typeName) defined at line \($0.location.line))" } ?? ""
            throw fail("layer '\(name)'\(origin): \(error.message)", at: e, kind: .shape, layer: name)
        }
        try checkSize(layer, g.shapes[v], at: e)
        return .tensor(v)
    }

    /// Refuses outputs and layer work so large that later element or FLOP counts could overflow an Int.
    private func checkSize(_ layer: Layer, _ output: TensorShape, at e: Expr) throws {
        var count = 1
        for d in output.dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Limits.tensorElements else { throw fail("the layer's output is too large (\(output.dims))", at: e, kind: .limit) }
            count = p
        }
        var perOutput = 1
        switch layer {
        case .conv2d(let a): perOutput = a.inChannels / a.groups * a.kernel.h * a.kernel.w
        case .maxPool2d(let a), .avgPool2d(let a): perOutput = a.kernel.h * a.kernel.w
        default: return
        }
        let (work, overflow) = count.multipliedReportingOverflow(by: perOutput)
        guard !overflow, work <= Limits.layerWork else { throw fail("the layer needs too much computation", at: e, kind: .limit) }
    }

    func addTensors(_ xs: [Int], at e: Expr) throws -> Value {
        try addNode(.add, xs, name: graph?.synthetic("add_") ?? "add", module: nil, at: e, definedBy: nil)
    }

    /// The `tensors` argument of `torch.cat` / `torch.stack`: one or more tensors.
    func tensorList(_ b: BoundArguments, at e: Expr) throws -> [Int] {
        var xs: [Int] = []
        for v in try materialize(b["tensors"], at: b.exprs["tensors"] ?? e) {
            guard case .tensor(let x) = v else { throw b.fail("tensors must hold tensors, got \(v.typeName)", "tensors") }
            xs.append(x)
        }
        guard !xs.isEmpty else { throw b.fail("needs at least one tensor", "tensors") }
        return xs
    }

    /// Sizes or dims written either way: `x.view(a, b)` or `x.view((a, b))`; no keywords.
    private func sizeArguments(_ args: CallArguments, _ callee: String, at e: Expr) throws -> [Value] {
        guard args.keywords.isEmpty else { throw fail("\(callee)() keyword arguments are not supported", at: e, kind: .unsupportedConstruct) }
        let values = args.positional.map(\.value)
        if values.count == 1, let items = values[0].sequenceItems { return items }
        return values
    }

    private func concatenate(_ b: BoundArguments, at e: Expr) throws -> Value {
        let xs = try tensorList(b, at: e), first = xs[0]
        guard case .int(let d) = b["dim"] else { throw b.fail("dim must be an integer", "dim") }
        let rank = shape(first).rank
        guard (d < 0 ? d + rank + 1 : d) == 1 else {
            throw b.fail("concatenating along dim=\(d) is not supported (only dim=1, the channels or features)", "dim", kind: .unsupportedOption)
        }
        if xs.count == 1 { return .tensor(first) }
        return try addNode(.concat, xs, name: graph?.synthetic("cat_") ?? "cat", module: nil, at: e, definedBy: nil)
    }

    private func flatten(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        guard case .int(let start) = b["start_dim"], case .int(let end) = b["end_dim"] else {
            throw b.fail("start_dim and end_dim must be integers", "start_dim")
        }
        let rank = shape(x).rank
        let first = start < 0 ? start + rank + 1 : start
        guard end == -1 || end == rank else { throw b.fail("only end_dim=-1 is supported", "end_dim") }
        if first >= 2 && first <= rank {
            // flatten(2) and later: a view that keeps the dims before `first`.
            let dims = shape(x).dims
            return try view(x, Array(dims.prefix(first - 1)) + [dims.dropFirst(first - 1).reduce(1, *)], at: e)
        }
        guard first == 1 else {
            throw b.fail("flattening from dim \(start) is not supported; flatten(x, 1) keeps the batch dimension", "start_dim", kind: .unsupportedOption)
        }
        return try addNode(.flatten, [x], name: graph?.synthetic("flatten_") ?? "flatten", module: nil, at: e, definedBy: nil)
    }

    /// `x.mean((2, 3))`: global average pooling, flattened unless `keepdim=True`.
    func mean(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value { try reduceMean(x, b, at: e).mean }

    /// The mean over the spatial dims (2, 3) of an image, or over the last dim (2) of a `[C, L]` tensor (viewed as
    /// `[C, 1, L]` and pooled the same way), and how many elements each output averages.
    func reduceMean(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> (mean: Value, count: Int) {
        let s = shape(x)
        let rank = s.rank
        let dims = (b["dim"].sequenceItems ?? [b["dim"]]).map { v -> Int in
            guard case .int(let d) = v else { return 0 }
            return d < 0 ? d + rank + 1 : d
        }
        var input = x
        if rank == 2 && (dims == [2] || dims == [1]) {
            // Over dim 1 of [T, F] (the sequence): transpose to [F, T] first.
            var v = x, (c, l) = (s.dims[0], s.dims[1])
            if dims == [1], case .tensor(let t) = try permute(x, order: [1, 0], at: e) { v = t; (c, l) = (l, c) }
            guard case .tensor(let w) = try view(v, [c, 1, l], at: e) else { return (.tensor(x), 1) }
            input = w
        } else if !(rank == 3 && Set(dims) == [2, 3] && dims.count == 2) {
            throw b.fail("only the mean or sum over the spatial dims (2, 3) of an image, or over the last dim of a [C, L] tensor, is supported", "dim")
        }
        // Named mean_f<n> so that the emitter writes it back as a mean.
        let pooled = try addNode(.adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [input], name: graph?.synthetic("mean_f") ?? "mean",
                                 module: nil, at: e, definedBy: nil)
        let overSequence = rank == 2 && dims == [1]
        let count = overSequence ? s.dims[0] : s.count / s.dims[0]
        guard case .tensor(let p) = pooled else { return (pooled, count) }
        if try b.bool("keepdim") {
            if rank == 3 { return (pooled, count) }
            return (try view(p, overSequence ? [1, s.dims[1]] : [s.dims[0], 1], at: e), count)
        }
        return (try addNode(.flatten, [p], name: graph?.synthetic("flatten_") ?? "flatten", module: nil, at: e, definedBy: nil), count)
    }
}
