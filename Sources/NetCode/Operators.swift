import Foundation

/// Python operator semantics on constants (integers with overflow checks, floor division and modulo rounding
/// towards negative infinity); tensor operands go to `tensorArithmetic` (TensorArithmetic.swift).
extension Interpreter {
    func truthy(_ v: Value, at e: Expr) throws -> Bool {
        switch v {
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .tuple(let items): return !items.isEmpty
        case .list(let box): return !box.items.isEmpty
        case .dict(let box): return !box.keys.isEmpty
        case .range(let start, let stop, let step): return (Self.rangeCount(start, stop, step) ?? 1) > 0
        case .module(let m):
            if case .moduleDict = m.kind { return !m.orderedChildren.isEmpty }
            return m.isSequenceContainer ? !m.orderedChildren.isEmpty : true
        case .tensor: throw fail("a tensor's value is unknown before the network runs; 'if' cannot depend on it", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.tensorCondition))
        case .training: throw fail("branching on self.training is not supported (it differs between training and evaluation)", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.trainingBranch))
        case .batch: throw fail("the batch size is unknown before the network runs", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.batchSize))
        default: return true
        }
    }

    func unary(_ op: UnaryOp, _ v: Value, at e: Expr) throws -> Value {
        if op == .not { return .bool(!(try truthy(v, at: e))) }
        if case .tensor(let x) = v {
            switch op {
            case .negate: return try affine(x, scale: -1, shift: 0, at: e)
            case .plus: return v
            default: break
            }
        }
        switch (op, number(v)) {
        case (.negate, .int(let i)?):
            guard i != Int.min else { throw fail("integer overflow", at: e) }
            return .int(-i)
        case (.negate, .float(let d)?): return .float(-d)
        case (.plus, let n?): return n
        case (.invert, .int(let i)?): return .int(~i)
        default: throw fail("bad operand type for unary \(op.rawValue): '\(v.typeName)'", at: e)
        }
    }

    /// Booleans take part in arithmetic as 0 and 1.
    func number(_ v: Value) -> Value? {
        switch v {
        case .int, .float: return v
        case .bool(let b): return .int(b ? 1 : 0)
        default: return nil
        }
    }

    func binary(_ op: BinaryOp, _ a: Value, _ b: Value, at e: Expr) throws -> Value {
        switch (a, b) {
        case (.tensor, _), (_, .tensor), (.expanded, _), (_, .expanded):
            if let result = try tensorArithmetic(op, a, b, at: e) { return result }
            throw fail("operator '\(op.rawValue)' on these operands is not supported (tensor + - * tensor, tensor + - * / number)", at: e, kind: .unsupportedConstruct)
        case (.batch, _), (_, .batch):
            throw fail("the batch size (x.size(0)) can only be passed to view() or reshape()", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.batchSize))
        default: break
        }
        switch (number(a), number(b)) {
        case (.int(let x)?, .int(let y)?): return try integer(op, x, y, at: e)
        case (let x?, let y?): return try floating(op, x.asDouble, y.asDouble, at: e)
        default: break
        }
        try charge((a.sequenceItems?.count ?? 0) + (b.sequenceItems?.count ?? 0), at: e)
        switch (op, a, b) {
        case (.modulo, .string(let template), _):
            return .string(try percentFormat(template, b, at: e))
        case (.add, .string(let x), .string(let y)):
            try charge(x.utf8.count + y.utf8.count, at: e)
            guard x.utf8.count + y.utf8.count <= Limits.collection else { throw tooLarge(at: e) }
            return .string(x + y)
        case (.add, .list(let x), .list(let y)):
            guard x.items.count + y.items.count <= Limits.collection else { throw tooLarge(at: e) }
            return .list(ListBox(x.items + y.items))
        case (.add, .tuple(let x), .tuple(let y)):
            guard x.count + y.count <= Limits.collection else { throw tooLarge(at: e) }
            return .tuple(x + y)
        case (.multiply, .list(let box), .int(let n)), (.multiply, .int(let n), .list(let box)):
            return .list(ListBox(try repeated(box.items, n, at: e)))
        case (.multiply, .tuple(let items), .int(let n)), (.multiply, .int(let n), .tuple(let items)):
            return .tuple(try repeated(items, n, at: e))
        case (.multiply, .string(let s), .int(let n)), (.multiply, .int(let n), .string(let s)):
            let chars = try repeated(Array(s.utf8), n, at: e)
            return .string(String(decoding: chars, as: UTF8.self))
        default:
            throw fail("unsupported operand types for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'", at: e)
        }
    }

    private func repeated<T>(_ items: [T], _ n: Int, at e: Expr) throws -> [T] {
        guard n > 0, !items.isEmpty else { return [] }
        let (total, overflow) = items.count.multipliedReportingOverflow(by: n)
        guard !overflow, total <= Limits.collection else { throw tooLarge(at: e) }
        try charge(total, at: e)
        return Array([[T]](repeating: items, count: n).joined())
    }

    private func integer(_ op: BinaryOp, _ x: Int, _ y: Int, at e: Expr) throws -> Value {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            guard !r.overflow else { throw fail("integer overflow", at: e) }
            return .int(r.partialValue)
        }
        func nonZero() throws { if y == 0 { throw fail("division by zero", at: e) } }
        switch op {
        case .add: return try checked(x.addingReportingOverflow(y))
        case .subtract: return try checked(x.subtractingReportingOverflow(y))
        case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
        case .divide: try nonZero(); return .float(Double(x) / Double(y))
        case .floorDivide:
            try nonZero()
            let q = x.dividedReportingOverflow(by: y)
            guard !q.overflow else { throw fail("integer overflow", at: e) }
            let r = x.remainderReportingOverflow(dividingBy: y).partialValue
            return .int(r != 0 && (r < 0) != (y < 0) ? q.partialValue - 1 : q.partialValue)
        case .modulo:
            try nonZero()
            let r = x.remainderReportingOverflow(dividingBy: y).partialValue
            return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .power:
            if y < 0 { return .float(pow(Double(x), Double(y))) }
            var result = 1, base = x, exponent = y
            while exponent > 0 {
                if exponent & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)).asInt }
                exponent >>= 1
                if exponent > 0 { base = try checked(base.multipliedReportingOverflow(by: base)).asInt }
            }
            return .int(result)
        case .bitAnd: return .int(x & y)
        case .bitOr: return .int(x | y)
        case .bitXor: return .int(x ^ y)
        case .shiftLeft:
            guard y >= 0 else { throw fail("negative shift count", at: e) }
            guard x != 0 else { return .int(0) }
            guard y < 63, (x << y) >> y == x else { throw fail("integer overflow", at: e) }
            return .int(x << y)
        case .shiftRight:
            guard y >= 0 else { throw fail("negative shift count", at: e) }
            return .int(y >= 64 ? (x < 0 ? -1 : 0) : x >> y)
        case .matmul:
            throw fail("unsupported operand types for @: 'int' and 'int'", at: e)
        }
    }

    private func floating(_ op: BinaryOp, _ x: Double, _ y: Double, at e: Expr) throws -> Value {
        func nonZero() throws { if y == 0 { throw fail("division by zero", at: e) } }
        switch op {
        case .add: return .float(x + y)
        case .subtract: return .float(x - y)
        case .multiply: return .float(x * y)
        case .divide: try nonZero(); return .float(x / y)
        case .floorDivide: try nonZero(); return .float((x / y).rounded(.down))
        case .modulo: try nonZero(); return .float(x - y * (x / y).rounded(.down))
        case .power: return .float(pow(x, y))
        default: throw fail("unsupported operand types for \(op.rawValue): 'float'", at: e)
        }
    }

    func compare(_ op: CompareOp, _ a: Value, _ b: Value, at e: Expr) throws -> Bool {
        switch op {
        case .isSame: return Value.identical(a, b)
        case .isNot: return !Value.identical(a, b)
        case .contains, .notContains:
            let found: Bool
            switch b {
            case .string(let s):
                guard case .string(let needle) = a else { throw fail("'in <string>' needs a string on the left", at: e) }
                try charge(s.utf8.count * max(1, needle.utf8.count), at: e)
                found = s.contains(needle)
            case .dict(let box):
                try charge(box.keys.count, at: e)
                found = box.index(of: a) != nil
            default: found = try materialize(b, at: e).contains { Value.identical($0, a) }
            }
            return found == (op == .contains)
        default: break
        }
        if case .tensor = a { throw fail("comparing tensors is not supported", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.tensorCondition)) }
        if case .tensor = b { throw fail("comparing tensors is not supported", at: e, kind: .unsupportedConstruct, hint: NearEquivalents.hint(.tensorCondition)) }
        if op == .equal { return Value.identical(a, b) }
        if op == .notEqual { return !Value.identical(a, b) }
        let order: Int
        switch (number(a), number(b), a, b) {
        case (let x?, let y?, _, _): order = x.asDouble < y.asDouble ? -1 : (x.asDouble > y.asDouble ? 1 : 0)
        case (nil, nil, .string(let x), .string(let y)): order = x < y ? -1 : (x > y ? 1 : 0)
        default: throw fail("'\(op.rawValue)' is not supported between '\(a.typeName)' and '\(b.typeName)'", at: e, kind: .unsupportedConstruct)
        }
        switch op {
        case .less: return order < 0
        case .lessEqual: return order <= 0
        case .greater: return order > 0
        default: return order >= 0
        }
    }
}

extension Value {
    var asDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return .nan
        }
    }

    var asInt: Int { if case .int(let i) = self { return i } else { return 0 } }
}
