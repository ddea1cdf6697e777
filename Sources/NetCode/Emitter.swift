import NetIR

/// NetIR to PyTorch source: one `nn.Module` class whose `__init__` registers every module under its
/// `state_dict` path (see `EmitterLayout`) and whose `forward` computes the nodes in topological order.
/// Parameterless nodes the parser named as functional calls (`relu_f1`, `flatten_1`) are emitted as functional
/// calls again; Add and Concat become `+` and `torch.cat`; every other node calls its module.
struct Emitter {
    let graph: Graph
    let className: String

    func source() -> String {
        let nodes = graph.nodes
        var modules: [(path: String, layer: Layer)] = []
        var seen = Set<String>()
        for node in nodes.dropFirst() where !Self.isFunctional(node) && !Self.isOperator(node.layer) {
            if seen.insert(node.module).inserted { modules.append((node.module, node.layer)) }
        }
        let layout = EmitterLayout(modules: modules)
        var body: [String] = []
        var usesFunctional = false
        for (name, entry) in layout.attributes {
            let value = Self.construction(entry, indent: "        ")
            if PythonSyntax.isValidIdentifier(name) { body.append("        self.\(name) = \(value)") }
            else { body.append("        self.add_module(\"\(name)\", \(value))") }
        }
        let forward = forwardBody(layout, &usesFunctional)
        var lines = ["import torch", "import torch.nn as nn"]
        if usesFunctional { lines.append("import torch.nn.functional as F") }
        let name = PythonSyntax.isValidIdentifier(className) ? className : "Net"
        lines += ["", "", "class \(name)(nn.Module):", "    def __init__(self):", "        super().__init__()"]
        lines += body
        lines += ["", "    def forward(self, x):"] + forward
        return lines.joined(separator: "\n") + "\n"
    }

    /// Nodes the parser synthesized for functional calls: parameterless, named `<op>_f<n>` or `flatten_<n>`.
    static func isFunctional(_ node: Node) -> Bool {
        switch node.layer {
        case .activation, .maxPool2d, .avgPool2d, .adaptiveAvgPool2d, .dropout, .dropout2d, .softmax, .logSoftmax,
             .pad, .adaptiveMaxPool2d, .alphaDropout:
            return hasNumberedSuffix(node.name, "_f")
        case .layerNorm(let a) where !a.affine:
            return hasNumberedSuffix(node.name, "_f")
        case .localResponseNorm:
            return hasNumberedSuffix(node.name, "_f")
        case .l2Normalize:
            return true   // no module class in PyTorch
        case .flatten:
            return hasNumberedSuffix(node.name, "_") && node.name.hasPrefix("flatten_")
        default:
            return false
        }
    }

    private static func hasNumberedSuffix(_ name: String, _ marker: String) -> Bool {
        let digits = name.reversed().prefix { $0.isASCII && $0.isNumber }
        return !digits.isEmpty && name.dropLast(digits.count).hasSuffix(marker) && name.count > digits.count + marker.count
    }

    static func isOperator(_ layer: Layer) -> Bool {
        switch layer {
        case .add, .concat, .input, .multiply, .affine, .reshape: return true
        default: return false
        }
    }

    /// Assigns variables (`x`, `x1`, ...) reusing a name once its value is dead, and writes one line per
    /// statement. A value used only as the first input of the very next node is nested into that call instead
    /// (`x = F.relu(self.bn1(self.conv1(x)))`, at most `maxNesting` calls deep), which keeps evaluation order,
    /// and hence node order, unchanged.
    private func forwardBody(_ layout: EmitterLayout, _ usesFunctional: inout Bool) -> [String] {
        let maxNesting = 3
        let nodes = graph.nodes
        var lastUse = [Int](repeating: -1, count: nodes.count)
        var uses = [Int](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for j in node.inputs where j >= 0 && j < i { lastUse[j] = max(lastUse[j], i); uses[j] += 1 }
        }
        if graph.output >= 0 && graph.output < nodes.count { lastUse[graph.output] = nodes.count; uses[graph.output] += 1 }
        var variable = [String](repeating: "x", count: nodes.count)
        var free: [String] = []
        var created = 1
        var lines: [String] = []
        var pending: (node: Int, text: String, depth: Int, preferred: String?)?
        for (i, node) in nodes.enumerated().dropFirst() {
            let inline = pending.flatMap { p in node.inputs.first == p.node ? p : nil }
            let args = node.inputs.enumerated().map { k, j -> String in
                if k == 0, let p = inline { return p.text }
                return j >= 0 && j < i ? variable[j] : "x"
            }
            let expression = call(node, args, layout, &usesFunctional)
            pending = nil
            var preferred = inline?.preferred
            for j in Set(node.inputs) where j >= 0 && j < i && lastUse[j] == i && j != inline?.node {
                free.append(variable[j])
                if j == node.inputs.first { preferred = variable[j] }
            }
            let depth = (inline?.depth ?? 0) + 1
            if i + 1 < nodes.count, uses[i] == 1, nodes[i + 1].inputs.first == i, depth < maxNesting {
                pending = (i, expression, depth, preferred)
                continue
            }
            if let name = preferred, free.contains(name) {
                variable[i] = name
            } else if let name = free.min(by: { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }) {
                variable[i] = name
            } else {
                variable[i] = "x\(created)"
                created += 1
            }
            free.removeAll { $0 == variable[i] }
            if lastUse[i] < i { free.append(variable[i]) }
            lines.append("        \(variable[i]) = \(expression)")
        }
        let output = graph.output >= 0 && graph.output < nodes.count ? variable[graph.output] : "x"
        return lines + ["        return \(output)"]
    }

    private func call(_ node: Node, _ args: [String], _ layout: EmitterLayout, _ usesFunctional: inout Bool) -> String {
        let x = args.first ?? "x"
        switch node.layer {
        case .add: return args.joined(separator: " + ")
        case .reshape(let dims):
            return "\(Self.isAtomic(x) ? x : "(\(x))").view(-1, \(dims.map(String.init).joined(separator: ", ")))"
        case .multiply: return args.map { Self.isAtomic($0) ? $0 : "(\($0))" }.joined(separator: " * ")
        case .affine(let scale, let shift):
            let operand = Self.isAtomic(x) ? x : "(\(x))"
            // The parser makes one Affine of `x * s`, `x + t` and `t - x`; other pairs come back as two nodes.
            if shift == 0 { return "\(operand) * \(scale)" }
            if scale == 1 { return "\(operand) + \(shift)" }
            if scale == -1 { return "\(shift) - \(operand)" }
            return "\(operand) * \(scale) + \(shift)"
        case .concat: return "torch.cat([\(args.joined(separator: ", "))], dim=1)"
        default: break
        }
        if Self.isFunctional(node) {
            if node.layer == .adaptiveAvgPool2d(outHeight: 1, outWidth: 1) && node.name.hasPrefix("mean_f") {
                return "\(Self.isAtomic(x) ? x : "(\(x))").mean((2, 3), keepdim=True)"
            }
            if node.layer == .adaptiveMaxPool2d(outHeight: 1, outWidth: 1) && node.name.hasPrefix("amax_f") {
                return "\(Self.isAtomic(x) ? x : "(\(x))").amax((2, 3), keepdim=True)"
            }
            let (text, functional) = Self.functionalCall(node.layer, x)
            usesFunctional = usesFunctional || functional
            return text
        }
        return "\(layout.references[node.module] ?? "self.\(node.module)")(\(x))"
    }

    /// False for `a + b`, which needs parentheses before a method call.
    static func isAtomic(_ expression: String) -> Bool {
        var depth = 0
        for c in expression {
            switch c {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            case " " where depth == 0: return false
            default: break
            }
        }
        return true
    }

    private static func construction(_ entry: EmitterLayout.Entry, indent: String) -> String {
        if let layer = entry.layer { return constructor(layer) }
        let inner = indent + "    "
        if entry.isList {
            let items = entry.orderedChildren.map { inner + construction($0.entry, indent: inner) + "," }
            return "nn.ModuleList([\n" + items.joined(separator: "\n") + "\n\(indent)])"
        }
        let items = entry.orderedChildren.map {
            "\(inner)\"\(EmitterLayout.dictKey($0.key, in: entry))\": \(construction($0.entry, indent: inner)),"
        }
        return "nn.ModuleDict({\n" + items.joined(separator: "\n") + "\n\(indent)})"
    }

    /// The `nn` constructor with PyTorch's argument names, omitting arguments left at their defaults.
    static func constructor(_ layer: Layer) -> String {
        func args(_ items: [String?]) -> String { items.compactMap { $0 }.joined(separator: ", ") }
        switch layer {
        case .conv2d(let a):
            return "nn.Conv2d(" + args([
                "\(a.inChannels)", "\(a.outChannels)", pair(a.kernel),
                a.stride == Pair(1) ? nil : "stride=\(pair(a.stride))",
                a.padding == Pair(0) ? nil : "padding=\(pair(a.padding))",
                a.dilation == Pair(1) ? nil : "dilation=\(pair(a.dilation))",
                a.groups == 1 ? nil : "groups=\(a.groups)",
                a.bias ? nil : "bias=False",
            ]) + ")"
        case .linear(let i, let o, let bias):
            return "nn.Linear(" + args(["\(i)", "\(o)", bias ? nil : "bias=False"]) + ")"
        case .batchNorm(let a):
            return "nn.BatchNorm\(a.dimensions)d(" + args([
                "\(a.features)", a.eps == Float(1e-5) ? nil : "eps=\(a.eps)",
                a.momentum == Float(0.1) ? nil : "momentum=\(a.momentum)", a.affine ? nil : "affine=False",
            ]) + ")"
        case .activation(let act): return act.moduleExpression
        case .maxPool2d(let a):
            return "nn.MaxPool2d(" + poolArgs(a, average: false) + ")"
        case .avgPool2d(let a):
            return "nn.AvgPool2d(" + poolArgs(a, average: true) + ")"
        case .adaptiveAvgPool2d(let h, let w): return "nn.AdaptiveAvgPool2d(\(h == w ? "\(h)" : "(\(h), \(w))"))"
        case .dropout(let p): return p == 0.5 ? "nn.Dropout()" : "nn.Dropout(\(p))"
        case .dropout2d(let p): return p == 0.5 ? "nn.Dropout2d()" : "nn.Dropout2d(\(p))"
        case .flatten: return "nn.Flatten()"
        case .identity, .input, .add, .concat, .multiply, .affine, .reshape: return "nn.Identity()"
        case .softmax: return "nn.Softmax(dim=1)"
        case .logSoftmax: return "nn.LogSoftmax(dim=1)"
        case .groupNorm(let a):
            return "nn.GroupNorm(" + args(["\(a.groups)", "\(a.channels)", a.eps == Float(1e-5) ? nil : "eps=\(a.eps)",
                                           a.affine ? nil : "affine=False"]) + ")"
        case .layerNorm(let a):
            return "nn.LayerNorm(" + args([a.shape.count == 1 ? "\(a.shape[0])" : "\(a.shape)", a.eps == Float(1e-5) ? nil : "eps=\(a.eps)",
                                           a.affine ? nil : "elementwise_affine=False", a.affine && !a.bias ? "bias=False" : nil]) + ")"
        case .prelu(let slopes): return slopes == 1 ? "nn.PReLU()" : "nn.PReLU(\(slopes))"
        case .localResponseNorm(let a): return "nn.LocalResponseNorm(" + localResponseArgs(a) + ")"
        case .l2Normalize: return "nn.Identity()"   // never used: isFunctional is always true for it
        case .pad(let a): return padModule(a)
        case .adaptiveMaxPool2d(let h, let w): return "nn.AdaptiveMaxPool2d(\(h == w ? "\(h)" : "(\(h), \(w))"))"
        case .alphaDropout(let p, let feature): return "nn.\(feature ? "FeatureAlphaDropout" : "AlphaDropout")(\(p))"
        }
    }

    /// The functional spelling of a parameterless layer; the flag says whether it needs `F`.
    static func functionalCall(_ layer: Layer, _ x: String) -> (String, Bool) {
        switch layer {
        case .activation(let act):
            let call = act.functionalExpression(x)
            return (call.text, call.needsF)
        case .maxPool2d(let a): return ("F.max_pool2d(\(x), \(poolArgs(a, average: false)))", true)
        case .avgPool2d(let a): return ("F.avg_pool2d(\(x), \(poolArgs(a, average: true)))", true)
        case .adaptiveAvgPool2d(let h, let w): return ("F.adaptive_avg_pool2d(\(x), \(h == w ? "\(h)" : "(\(h), \(w))"))", true)
        case .dropout(let p): return ("F.dropout(\(x), p=\(p), training=self.training)", true)
        case .dropout2d(let p): return ("F.dropout2d(\(x), p=\(p), training=self.training)", true)
        case .softmax: return ("F.softmax(\(x), dim=1)", true)
        case .logSoftmax: return ("F.log_softmax(\(x), dim=1)", true)
        case .flatten: return ("torch.flatten(\(x), 1)", false)
        case .localResponseNorm(let a): return ("F.local_response_norm(\(x), \(localResponseArgs(a)))", true)
        case .l2Normalize(let eps): return ("F.normalize(\(x), dim=1" + (eps == Float(1e-12) ? ")" : ", eps=\(eps))"), true)
        case .layerNorm(let a): return ("F.layer_norm(\(x), \(a.shape)" + (a.eps == Float(1e-5) ? ")" : ", eps=\(a.eps))"), true)
        case .pad(let a): return (padCall(a, x), true)
        case .adaptiveMaxPool2d(let h, let w): return ("F.adaptive_max_pool2d(\(x), \(h == w ? "\(h)" : "(\(h), \(w))"))", true)
        case .alphaDropout(let p, let feature):
            return ("F.\(feature ? "feature_alpha_dropout" : "alpha_dropout")(\(x), p=\(p), training=self.training)", true)
        default: return (x, false)
        }
    }

    private static func localResponseArgs(_ a: LocalResponseNormAttributes) -> String {
        ["\(a.size)", a.alpha == Float(1e-4) ? nil : "alpha=\(a.alpha)", a.beta == Float(0.75) ? nil : "beta=\(a.beta)",
         a.k == 1 ? nil : "k=\(a.k)"].compactMap { $0 }.joined(separator: ", ")
    }

    private static func poolArgs(_ a: Pool2dAttributes, average: Bool) -> String {
        var items = [pair(a.kernel)]
        if a.stride != a.kernel { items.append("stride=\(pair(a.stride))") }
        if a.padding != Pair(0) { items.append("padding=\(pair(a.padding))") }
        if a.ceilMode { items.append("ceil_mode=True") }
        if average && !a.countIncludePad { items.append("count_include_pad=False") }
        return items.joined(separator: ", ")
    }

    private static func pair(_ p: Pair) -> String { p.h == p.w ? "\(p.h)" : "(\(p.h), \(p.w))" }
}

extension NetworkSource {
    /// PyTorch source for `graph`: a class `className` whose `state_dict` names equal the graph's parameter names
    /// (see `EmitterLayout` for the two exceptions) and whose parse gives back the same layers, wiring and shapes.
    public static func emit(_ graph: Graph, className: String = "Net") -> String {
        Emitter(graph: graph, className: className).source()
    }
}
