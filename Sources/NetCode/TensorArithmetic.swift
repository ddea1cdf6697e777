import NetIR

/// Tensor arithmetic beyond `+`: `a * b` with a per-channel or equal-shape operand (`x * torch.sigmoid(s)`,
/// `torch.mul`), `a - b` (as `a + (-1)·b`), and constants (`x * 0.5`, `x / 2`, `1 - x`, `-x`) as one Affine node.
extension Interpreter {
    /// `op` with a tensor on at least one side; nil when the combination is not tensor arithmetic we take.
    func tensorArithmetic(_ op: BinaryOp, _ a: Value, _ b: Value, at e: Expr) throws -> Value? {
        if let (x, y) = broadcastOperands(a, b) { return try tensorArithmetic(op, x, y, at: e) }
        switch (op, a, b) {
        case (.add, .tensor(let x), .tensor(let y)):
            return try addTensors([x, y], at: e)
        case (.multiply, .tensor(let x), .tensor(let y)):
            return try multiplyTensors(x, y, at: e)
        case (.subtract, .tensor(let x), .tensor(let y)):
            guard case .tensor(let negated) = try affine(y, scale: -1, shift: 0, at: e) else { return nil }
            return try addTensors([x, negated], at: e)
        case (_, .tensor(let x), let other):
            guard let c = constant(other) else { return nil }
            switch op {
            case .multiply: return try affine(x, scale: c, shift: 0, at: e)
            case .divide:
                guard c != 0 else { throw fail("dividing a tensor by zero gives inf/nan", at: e) }
                return try affine(x, scale: 1 / c, shift: 0, at: e)
            case .add: return try affine(x, scale: 1, shift: c, at: e)
            case .subtract: return try affine(x, scale: 1, shift: -c, at: e)
            default: return nil
            }
        case (_, let other, .tensor(let x)):
            guard let c = constant(other) else { return nil }
            switch op {
            case .multiply: return try affine(x, scale: c, shift: 0, at: e)
            case .add: return try affine(x, scale: 1, shift: c, at: e)
            case .subtract: return try affine(x, scale: -1, shift: c, at: e)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A Python number as a constant (booleans count as 0 and 1).
    private func constant(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// `a * b`: the operand PyTorch broadcasts (a per-channel gate) goes second, as the Mul node wants it.
    func multiplyTensors(_ a: Int, _ b: Int, at e: Expr) throws -> Value {
        let (sa, sb) = (shape(a), shape(b))
        let inputs: [Int]
        if Layer.multiplyShape(sa, sb) != nil { inputs = [a, b] }
        else if Layer.multiplyShape(sb, sa) != nil { inputs = [b, a] }
        else {
            throw fail("cannot multiply tensors of shapes [\(sa)] and [\(sb)] (supported: equal shapes, or one of shape [C, 1, 1] against [C, H, W])", at: e)
        }
        return try addNode(.multiply, inputs, name: graph?.synthetic("mul_") ?? "mul", module: nil, at: e, definedBy: nil)
    }

    /// `scale * x + shift`; the identity (`x * 1`, `x + 0`) adds no node.
    func affine(_ x: Int, scale: Double, shift: Double, at e: Expr) throws -> Value {
        guard scale.isFinite, shift.isFinite else { throw fail("constants in tensor arithmetic must be finite", at: e) }
        if scale == 1 && shift == 0 { return .tensor(x) }
        return try addNode(.affine(scale: Float(scale), shift: Float(shift)), [x],
                           name: graph?.synthetic("affine_") ?? "affine", module: nil, at: e, definedBy: nil)
    }
}
