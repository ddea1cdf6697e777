import NetIR

/// The dummy forward model-written networks run in `__init__` to size their first Linear:
///
///     with torch.no_grad():
///         n = self.features(torch.zeros(1, 1, 28, 28)).numel()
///     self.fc = nn.Linear(n, 10)
///
/// Nothing is executed: `torch.zeros(...)` outside `forward` starts a throwaway graph whose input has the given
/// per-sample shape and a concrete batch size, module calls append nodes to it as in `forward` (shapes only),
/// and `numel()`, `size()`, `shape` and `view(1, -1)` read the inferred shapes. `translate` discards the graph
/// before the real `forward`; no module counts as called and no parameter is shared with the network.
extension Interpreter {
    /// `torch.zeros(1, C, H, W)` and friends: the input of a dummy forward.
    func dummyInput(_ callee: String, _ args: CallArguments, at e: Expr) throws -> Value {
        guard graph == nil || dummyBatch != nil else {
            throw fail("\(callee) inside forward() is not supported (a constant tensor is not part of the network)", at: e,
                       kind: .unsupportedConstruct, hint: "a layer's output, or a constant folded into the layer")
        }
        var values = args.positional.map(\.value)
        if values.count == 1, let items = values[0].sequenceItems { values = items }
        if callee.hasSuffix("full"), !values.isEmpty, args.positional.count == 2, let items = values.first?.sequenceItems {
            values = items
        }
        let sizes = try values.map { v -> Int in
            guard case .int(let i) = v, i > 0, i <= Limits.dimension else {
                throw fail("\(callee)(): sizes must be positive integers, got \(v.typeName)", at: e, kind: .arguments)
            }
            return i
        }
        let sample = TensorShape(Array(sizes.dropFirst()))
        guard sizes.count >= 2, sample.rank == 1 || sample.rank == 3 else {
            throw fail("\(callee)(): a dummy input needs a batch size and a CxHxW or F sample shape, got \(sizes)", at: e,
                       kind: .unsupportedConstruct, hint: "torch.zeros(1, C, H, W)")
        }
        graph = GraphState(input: sample, reserved: [])
        dummyBatch = sizes[0]
        return .tensor(0)
    }

    /// A module called in a dummy forward: a node for its shape, no module path, no parameters claimed.
    func dummyCall(_ m: ModuleBox, _ leaf: LeafLayer, _ x: Int, at e: Expr) throws -> Value {
        try checkInput(leaf, x, m.typeName, at: e)
        if leaf.layer == .identity { return .tensor(x) }
        return try addNode(leaf.layer, [x], name: graph?.synthetic("dummy_") ?? "dummy", module: nil, at: e, definedBy: m)
    }

    /// `x.numel()`: known in a dummy forward (concrete batch); in `forward` the batch size is symbolic.
    func numel(_ x: Int, _ callee: String, at e: Expr) throws -> Value {
        guard let batch = dummyBatch else {
            throw fail("\(callee)() in forward() depends on the batch size, which is unknown before the network runs", at: e,
                       kind: .unsupportedConstruct, hint: NearEquivalents.hint(.batchSize))
        }
        let (n, overflow) = shape(x).count.multipliedReportingOverflow(by: batch)
        guard !overflow else { throw fail("\(callee)() is too large", at: e, kind: .limit) }
        return .int(n)
    }

    /// `with torch.no_grad():` and the other gradient modes: entered without effect. Any other context manager
    /// is refused, and so is `as` (nothing useful is bound).
    func enterGradientContext(_ context: Expr, target: Expr?, _ scope: Scope) throws {
        let refusal = fail("'with' statements other than torch.no_grad() are not supported", at: context, kind: .unsupportedConstruct,
                           hint: "the body without the 'with'")
        guard case .call(let function, _) = context.kind, case .builtin(let q)? = try? evaluate(function, scope),
              TensorOps.gradientContexts.contains(q), target == nil else { throw refusal }
    }
}
