import NetIR

/// `torch.stack([...])` reduced over the stacked dimension (`.sum(0)`, `.mean(0)`) is the sum or mean of the
/// tensors, which the IR writes exactly as an Add (and an Affine by 1/n); a stack is kept as a Python value
/// (`Value.stacked`) until it is reduced, and any other use of it is refused. `x.sum(dim)` is the mean over the
/// same dimensions times their size; `y.expand_as(x)` is left to the broadcasting arithmetic it feeds.
extension Interpreter {
    /// `torch.stack(tensors, dim)`: the tensors (same shape, checked when reduced) and the new dimension.
    func stack(_ b: BoundArguments, at e: Expr) throws -> Value {
        let xs = try tensorList(b, at: e), first = xs[0]
        guard case .int(let d) = b["dim"] else { throw b.fail("dim must be an integer", "dim") }
        let rank = shape(first).rank + 2   // the batch, the per-sample dims and the new one
        guard d >= -rank, d < rank else { throw b.fail("dim \(d) is out of range for the stacked tensor", "dim") }
        return .stacked(xs, dim: d < 0 ? d + rank : d)
    }

    /// `.sum(d)` / `.mean(d)` of a stack over its stacked dimension.
    func reduceStack(_ xs: [Int], dim: Int, _ name: String, _ b: BoundArguments, at e: Expr) throws -> Value {
        let rank = shape(xs[0]).rank + 2
        guard case .int(let d) = b["dim"], (d < 0 ? d + rank : d) == dim else {
            throw b.fail("a stack can only be reduced over its stacked dimension (dim=\(dim))", "dim", kind: .unsupportedConstruct)
        }
        guard try !b.bool("keepdim") else { throw b.fail("keepdim=True on a stack is not supported", "keepdim", kind: .unsupportedOption) }
        let sum: Value = xs.count == 1 ? .tensor(xs[0]) : try addTensors(xs, at: e)
        guard name == "mean", case .tensor(let s) = sum else { return sum }
        return try affine(s, scale: 1 / Double(xs.count), shift: 0, at: e)
    }

    /// `x.sum(dim)`: the mean over `dim` (see `mean`) scaled by the number of elements each output adds up.
    func sum(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        let (averaged, count) = try reduceMean(x, b, at: e)
        guard case .tensor(let m) = averaged else { return averaged }
        return try affine(m, scale: Double(count), shift: 0, at: e)
    }

    /// `y.expand_as(x)`: `y` itself when the shapes agree, else `y` marked for broadcasting (`Value.expanded`),
    /// which only tensor arithmetic with an operand of `x`'s shape accepts. Each dimension of `y` must equal
    /// `x`'s or be 1, as PyTorch requires.
    func expandAs(_ y: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        guard case .tensor(let x) = b["other"] else { throw b.fail("other must be a tensor, got \(b["other"].typeName)", "other") }
        let (from, to) = (shape(y), shape(x))
        guard from.rank == to.rank, zip(from.dims, to.dims).allSatisfy({ $0 == $1 || $0 == 1 }) else {
            throw b.fail("cannot expand a tensor of shape [\(from)] to [\(to)]", "other", kind: .shape)
        }
        return from == to ? .tensor(y) : .expanded(y, to: to)
    }

    /// An expanded operand as the tensor PyTorch broadcasts, when the other operand has the shape it was expanded
    /// to; nil for every other combination.
    func broadcastOperands(_ a: Value, _ b: Value) -> (Value, Value)? {
        switch (a, b) {
        case (.expanded(let y, let s), .tensor(let x)) where shape(x) == s: return (.tensor(y), b)
        case (.tensor(let x), .expanded(let y, let s)) where shape(x) == s: return (a, .tensor(y))
        default: return nil
        }
    }
}
