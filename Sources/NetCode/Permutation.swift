import NetIR

/// `x.transpose(a, b)`, `x.permute(0, ...)`, `torch.transpose`, `torch.permute`: a Permute node over the
/// per-sample dimensions; the batch dimension (0) must stay first. The identity adds no node.
extension Interpreter {
    /// `transpose(dim0, dim1)`, dims counting the batch as 0, negative from the end.
    func transpose(_ x: Int, _ b: BoundArguments, at e: Expr) throws -> Value {
        guard case .int(let d0) = b["dim0"], case .int(let d1) = b["dim1"] else { throw b.fail("dims must be integers", "dim0") }
        let rank = shape(x).rank + 1
        let (a, c) = (d0 < 0 ? d0 + rank : d0, d1 < 0 ? d1 + rank : d1)
        guard a >= 0, a < rank, c >= 0, c < rank else { throw b.fail("dimension out of range for a \(rank)-d tensor", "dim0") }
        guard a != 0 && c != 0 || a == c else {
            throw b.fail("moving the batch dimension is not supported", a == 0 ? "dim0" : "dim1", kind: .unsupportedOption)
        }
        var order = Array(0..<(rank - 1))
        if a != c { order.swapAt(a - 1, c - 1) }
        return try permute(x, order: order, at: e)
    }

    /// `permute(*dims)` with the batch first: the remaining dims (minus one) are the per-sample order.
    func permute(_ x: Int, _ dims: [Value], _ callee: String, at e: Expr) throws -> Value {
        let rank = shape(x).rank + 1
        var order: [Int] = []
        for v in dims {
            guard case .int(let d) = v else { throw fail("\(callee)(): dims must be integers, got \(v.typeName)", at: e) }
            order.append(d < 0 ? d + rank : d)
        }
        guard order.count == rank, order.sorted() == Array(0..<rank) else {
            throw fail("\(callee)(): dims \(order) are not a permutation of the \(rank) dimensions", at: e)
        }
        guard order[0] == 0 else { throw fail("\(callee)(): moving the batch dimension is not supported", at: e, kind: .unsupportedOption) }
        return try permute(x, order: order.dropFirst().map { $0 - 1 }, at: e)
    }

    /// A Permute node for a per-sample `order`; `x` itself for the identity.
    func permute(_ x: Int, order: [Int], at e: Expr) throws -> Value {
        if order == Array(0..<order.count) { return .tensor(x) }
        return try addNode(.permute(order: order), [x], name: graph?.synthetic("permute_") ?? "permute", module: nil, at: e, definedBy: nil)
    }

    /// The per-sample order as `permute` arguments (batch first), for the emitter.
    static func permuteArguments(_ order: [Int]) -> String { ([0] + order.map { $0 + 1 }).map(String.init).joined(separator: ", ") }
}
