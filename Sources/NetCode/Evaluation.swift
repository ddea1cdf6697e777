/// Expression evaluation: one case per syntax node; operators, calls and attributes live in their own files.
extension Interpreter {
    func evaluate(_ e: Expr, _ scope: Scope) throws -> Value {
        try tick(e.line, e.column)
        try enter(e.line, e.column)
        defer { depth -= 1 }
        switch e.kind {
        case .name(let n): return try lookup(n, scope, at: e)
        case .int(let v): return .int(v)
        case .float(let v): return .float(v)
        case .string(let s): return .string(s)
        case .formatted(let s):
            return try formatted(s, scope, at: e)
        case .bool(let b): return .bool(b)
        case .none: return .none
        case .ellipsis: return .opaque
        case .attribute(let base, let name):
            return try attribute(try evaluate(base, scope), name, at: e)
        case .call(let function, let args):
            let callee = try evaluate(function, scope)
            let arguments = try evaluateArguments(args, scope)
            if case .builtin("super") = callee { return try makeSuper(arguments, scope, at: e) }
            return try call(callee, arguments, at: e)
        case .index(let base, let index):
            return try item(try evaluate(base, scope), try evaluate(index, scope), at: e)
        case .slice(let lower, let upper, let step):
            func bound(_ x: Expr?) throws -> Int? {
                guard let x else { return nil }
                switch try evaluate(x, scope) {
                case .int(let v): return v
                case .none: return nil
                case let other: throw fail("slice bounds must be integers, got \(other.typeName)", at: x)
                }
            }
            return .slice(try bound(lower), try bound(upper), try bound(step))
        case .tuple(let items):
            return .tuple(try evaluateItems(items, scope))
        case .list(let items):
            return .list(ListBox(try evaluateItems(items, scope)))
        case .dict(let entries):
            let box = DictBox()
            for entry in entries {
                try charge(box.keys.count, at: entry.key)
                box.set(try evaluate(entry.key, scope), try evaluate(entry.value, scope))
            }
            return .dict(box)
        case .starred:
            throw fail("a starred expression is not allowed here", at: e)
        case .unary(let op, let operand):
            return try unary(op, try evaluate(operand, scope), at: e)
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left, scope), try evaluate(right, scope), at: e)
        case .compare(let first, let rest):
            var left = try evaluate(first, scope)
            for (op, rightExpr) in rest {
                let right = try evaluate(rightExpr, scope)
                guard try compare(op, left, right, at: rightExpr) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .boolean(let isAnd, let items):
            var value = Value.none
            for item in items {
                value = try evaluate(item, scope)
                if try truthy(value, at: item) != isAnd { return value }
            }
            return value
        case .conditional(let condition, let then, let otherwise):
            return try evaluate(truthy(try evaluate(condition, scope), at: condition) ? then : otherwise, scope)
        case .lambda(let def):
            return .function(FunctionInfo(def: def, owner: nil, closure: scope))
        case .comprehension(let element, let clauses):
            let inner = Scope(parent: scope, function: scope.function)
            var result: [Value] = []
            try comprehend(clauses[...], inner) {
                guard result.count < Limits.collection else { throw tooLarge(at: e) }
                result.append(try evaluate(element, inner))
            }
            return .list(ListBox(result))
        }
    }

    private func comprehend(_ clauses: ArraySlice<ComprehensionClause>, _ scope: Scope, _ yield: () throws -> Void) throws {
        guard let clause = clauses.first else { return try yield() }
        try iterate(try evaluate(clause.iterable, scope), at: clause.iterable) { item in
            try assign(clause.target, item, scope)
            for condition in clause.conditions where !(try truthy(try evaluate(condition, scope), at: condition)) {
                return true
            }
            try comprehend(clauses.dropFirst(), scope, yield)
            return true
        }
    }

    /// Items of a tuple or list display, expanding `*iterable`.
    private func evaluateItems(_ items: [Expr], _ scope: Scope) throws -> [Value] {
        var result: [Value] = []
        for item in items {
            if case .starred(let inner) = item.kind {
                result += try materialize(try evaluate(inner, scope), at: inner)
            } else {
                result.append(try evaluate(item, scope))
            }
            guard result.count <= Limits.collection else { throw tooLarge(at: item) }
        }
        return result
    }

    func evaluateArguments(_ args: [Argument], _ scope: Scope) throws -> CallArguments {
        var result = CallArguments()
        for arg in args {
            let value = try evaluate(arg.value, scope)
            switch arg.stars {
            case 1:
                for v in try materialize(value, at: arg.value) { result.positional.append((v, arg.value)) }
            case 2:
                guard case .dict(let box) = value else { throw fail("** needs a dict, got \(value.typeName)", at: arg.value) }
                for (k, v) in zip(box.keys, box.values) {
                    guard case .string(let name) = k else { throw fail("keyword names must be strings", at: arg.value) }
                    result.keywords.append((name, v, arg.value))
                }
            default:
                if let name = arg.name { result.keywords.append((name, value, arg.value)) }
                else { result.positional.append((value, arg.value)) }
            }
        }
        return result
    }
}

/// Evaluated call arguments, each with the expression it came from (for error positions).
struct CallArguments {
    var positional: [(value: Value, expr: Expr)] = []
    var keywords: [(name: String, value: Value, expr: Expr)] = []

    var isEmpty: Bool { positional.isEmpty && keywords.isEmpty }
}
