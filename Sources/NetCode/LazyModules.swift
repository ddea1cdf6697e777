import NetIR

/// `nn.LazyLinear`, `nn.LazyConv2d`, `nn.LazyBatchNorm1d/2d`: built with a placeholder input size and resolved
/// by shape inference on their first call, exactly as PyTorch materialises them on the first forward. The graph
/// then holds the concrete layer, so the network is emitted back as `nn.Linear(in, out)` and so on.
extension Interpreter {
    func constructLazy(_ q: String, _ lazy: (signature: Signature, concrete: String, input: String), _ args: CallArguments,
                       at e: Expr) throws -> Value {
        var b = try bind(lazy.signature, args, callee: calleeText(e, q), at: e)
        b.values[lazy.input] = .int(1)
        let leaf = try ModuleCatalog.layer(lazy.concrete, b)
        let box = try newModule(.leaf(leaf), qualifiedType: q, at: e)
        box.lazyInput = lazy.input
        return .module(box)
    }

    /// The module's layer for input `x`: unchanged unless the module is lazy and not yet called, in which case
    /// its input size is taken from `x` and the module keeps the concrete layer from then on.
    func resolveLazy(_ m: ModuleBox, _ leaf: LeafLayer, _ x: Int, at e: Expr) throws -> LeafLayer {
        guard m.lazyInput != nil else { return leaf }
        let input = shape(x)
        var resolved = leaf
        switch leaf.layer {
        case .linear(_, let o, let bias):
            guard input.rank == 1 else {
                throw fail("\(m.typeName) over a [\(input)] image tensor is not supported; flatten first", at: e, kind: .shape,
                           hint: "torch.flatten(x, 1) before the layer")
            }
            resolved.layer = .linear(inFeatures: input.count, outFeatures: o, bias: bias)
        case .conv2d(var a):
            guard input.isImage else { throw fail("\(m.typeName) needs an image input, got [\(input)]", at: e, kind: .shape) }
            guard input.channels % a.groups == 0 else {
                throw fail("\(m.typeName): \(input.channels) input channels are not divisible by groups=\(a.groups)", at: e, kind: .shape)
            }
            a.inChannels = input.channels
            resolved.layer = .conv2d(a)
        case .batchNorm(var a):
            guard a.dimensions == 2 ? input.isImage : input.rank == 1 else {
                throw fail("\(m.typeName) does not take a [\(input)] input", at: e, kind: .shape)
            }
            a.features = input.channels
            resolved.layer = .batchNorm(a)
        default:
            return leaf
        }
        m.resolve(resolved)
        return resolved
    }
}
