import NetIR

extension Interpreter {
    /// `x.view(...)` / `x.reshape(...)`. The IR has one reshape, flattening to `[batch, features]`, so we accept
    /// the spellings of it (`view(x.size(0), -1)`, `view(-1, N)` with N the exact per-sample size,
    /// `reshape(x.shape[0], -1)`) and views to the unchanged shape; anything else is refused with the shapes.
    func reshape(_ x: Int, _ dims: [Value], _ callee: String, at e: Expr) throws -> Value {
        let current = shape(x)
        let written = dims.map { v -> String in
            switch v {
            case .int(let i): return String(i)
            case .batch: return "batch"
            default: return v.typeName
            }
        }.joined(separator: ", ")
        func refuse(_ why: String) -> SourceError { fail("\(callee)(\(written)): \(why)", at: e) }

        guard dims.count >= 2 else {
            throw refuse("this also flattens the batch dimension; keep it with view(x.size(0), -1)")
        }
        switch dims[0] {
        case .batch, .int(-1): break
        case .int(let b) where b == dummyBatch: break
        case .int: throw refuse("a fixed batch size is not supported; use x.size(0) or -1 first")
        default: throw refuse("sizes must be integers or x.size(0)")
        }
        var sizes: [Int] = []
        for v in dims.dropFirst() {
            guard case .int(let i) = v, i == -1 || i > 0 else {
                throw refuse(Value.identical(v, .batch) ? "the batch size can only come first" : "sizes must be positive integers or -1")
            }
            sizes.append(i)
        }
        let inferred = sizes.filter { $0 == -1 }.count
        guard inferred + (Value.identical(dims[0], .int(-1)) ? 1 : 0) <= 1 else { throw refuse("only one size can be -1") }
        var known = 1
        for s in sizes where s != -1 {
            let (p, overflow) = known.multipliedReportingOverflow(by: s)
            guard !overflow else { throw refuse("sizes are too large") }
            known = p
        }
        if inferred == 1 {
            guard current.count % known == 0 else {
                throw refuse("cannot split the \(current.count) elements per sample of shape \(current)")
            }
            sizes = sizes.map { $0 == -1 ? current.count / known : $0 }
        } else if known != current.count {
            throw refuse("\(known) does not match the \(current.count) elements per sample of shape \(current)")
        }
        if sizes == current.dims { return .tensor(x) }
        guard sizes.count == 1 else { return try view(x, sizes, at: e) }
        return try addNode(.flatten, [x], name: graph?.synthetic("flatten_") ?? "flatten", module: nil, at: e, definedBy: nil)
    }

    /// A Reshape node to per-sample `dims` (same element count, checked by NetIR); to one dimension it is a
    /// Flatten, the one spelling of that view.
    func view(_ x: Int, _ dims: [Int], at e: Expr) throws -> Value {
        if dims == shape(x).dims { return .tensor(x) }
        if dims.count == 1 {
            return try addNode(.flatten, [x], name: graph?.synthetic("flatten_") ?? "flatten", module: nil, at: e, definedBy: nil)
        }
        return try addNode(.reshape(dims: dims), [x], name: graph?.synthetic("view_") ?? "view", module: nil, at: e, definedBy: nil)
    }

    /// `x.squeeze(dim)` / `x.unsqueeze(dim)` (dim counts the batch as 0, negative from the end); `squeeze()`
    /// drops every size-1 dimension after the batch.
    func squeeze(_ x: Int, _ b: BoundArguments, unsqueeze: Bool, at e: Expr) throws -> Value {
        var dims = shape(x).dims
        let rank = dims.count + 1 + (unsqueeze ? 1 : 0)
        if b.isNone("dim") && !unsqueeze { return try view(x, dims.filter { $0 != 1 }.isEmpty ? [1] : dims.filter { $0 != 1 }, at: e) }
        guard case .int(let d) = b["dim"] else { throw b.fail("dim must be an integer", "dim") }
        let i = d < 0 ? d + rank : d
        guard i >= 1, i < rank else {
            throw b.fail(i == 0 ? "the batch dimension cannot be squeezed or unsqueezed" : "dim \(d) is out of range", "dim")
        }
        if unsqueeze {
            dims.insert(1, at: i - 1)
        } else {
            guard dims[i - 1] == 1 else { return .tensor(x) }   // PyTorch leaves a dimension of size > 1 alone
            dims.remove(at: i - 1)
            if dims.isEmpty { throw b.fail("squeezing every per-sample dimension is not supported", "dim") }
        }
        return try view(x, dims, at: e)
    }
}
