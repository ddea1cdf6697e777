/// Expression grammar of the Python subset, by precedence from `test` (conditional) down to atoms.
/// Depth is bounded twice: by recursion (nested brackets, unary chains) and by tree height (long operator
/// chains), both against `Limits.expressionDepth`.
extension Parser {
    func node(_ kind: ExprKind, at t: Token, _ children: Expr?...) throws -> Expr {
        try node(kind, line: t.line, column: t.column, children.compactMap { $0 })
    }

    func node(_ kind: ExprKind, line: Int, column: Int, _ children: [Expr]) throws -> Expr {
        let height = 1 + (children.map(\.height).max() ?? 0)
        guard height <= Limits.expressionDepth else {
            throw SourceError(location: .init(file: file, line: line, column: column), message: "expression is nested too deeply", kind: .limit)
        }
        return Expr(kind: kind, line: line, column: column, height: height)
    }

    private func node(_ kind: ExprKind, from first: Expr, _ children: [Expr]) throws -> Expr {
        try node(kind, line: first.line, column: first.column, children)
    }

    private mutating func enter() throws {
        expressionDepth += 1
        guard expressionDepth <= Limits.expressionDepth else { throw error("expression is nested too deeply", at: current) }
    }

    /// True when the current token can begin an expression (used to end `a, b,` lists).
    private var startsExpression: Bool {
        switch current.kind {
        case .name, .int, .float, .string, .fstring: return true
        case .keyword: return ["not", "None", "True", "False", "lambda", "await"].contains(current.text)
        case .op: return ["(", "[", "{", "-", "+", "~", "*", "..."].contains(current.text)
        default: return false
        }
    }

    /// `a`, or `a, b, ...` as a tuple.
    mutating func testList(allowStarred: Bool = false) throws -> Expr {
        let first = try allowStarred ? starOrTest() : test()
        guard current.isOp(",") else { return first }
        var items = [first]
        while current.isOp(",") {
            advance()
            guard startsExpression else { break }
            items.append(try allowStarred ? starOrTest() : test())
        }
        return try node(.tuple(items), from: first, items)
    }

    /// Loop targets: names, attributes, subscripts, optionally as a tuple; stops before `in`.
    mutating func targetList() throws -> Expr {
        let first = try bitOr()
        guard current.isOp(",") else { return first }
        var items = [first]
        while current.isOp(",") {
            advance()
            guard startsExpression else { break }
            items.append(try bitOr())
        }
        return try node(.tuple(items), from: first, items)
    }

    private mutating func starOrTest() throws -> Expr {
        guard current.isOp("*") else { return try test() }
        let t = advance()
        return try node(.starred(try bitOr()), at: t, nil)
    }

    mutating func test() throws -> Expr {
        try enter()
        defer { expressionDepth -= 1 }
        if current.isKeyword("lambda") { return try lambda() }
        let value = try orTest()
        guard current.isKeyword("if") else { return value }
        advance()
        let condition = try orTest()
        guard current.isKeyword("else") else { throw error("expected 'else', found \(current.display)", at: current) }
        advance()
        let otherwise = try test()
        return try node(.conditional(condition: condition, then: value, otherwise: otherwise), from: value,
                        [value, condition, otherwise])
    }

    private mutating func orTest() throws -> Expr { try booleanChain(isAnd: false) }

    private mutating func lambda() throws -> Expr {
        let t = advance()
        var parameters: [Parameter] = []
        while !current.isOp(":") {
            let name = try expectName("a parameter name").text
            var value: Expr?
            if current.isOp("=") { advance(); value = try test() }
            parameters.append(Parameter(name: name, defaultValue: value, kind: .normal, keywordOnly: false))
            guard current.isOp(",") else { break }
            advance()
        }
        try expect(":")
        let body = try test()
        let def = FunctionDef(name: "<lambda>", parameters: parameters,
                              body: [Stmt(kind: .returnValue(body), line: body.line, column: body.column)],
                              decorated: false, line: t.line, column: t.column)
        return try node(.lambda(def), at: t, body)
    }

    private mutating func booleanChain(isAnd: Bool) throws -> Expr {
        let first = try isAnd ? notTest() : booleanChain(isAnd: true)
        guard current.isKeyword(isAnd ? "and" : "or") else { return first }
        var items = [first]
        while current.isKeyword(isAnd ? "and" : "or") {
            advance()
            items.append(try isAnd ? notTest() : booleanChain(isAnd: true))
        }
        return try node(.boolean(isAnd: isAnd, items), from: first, items)
    }

    private mutating func notTest() throws -> Expr {
        guard current.isKeyword("not") else { return try comparison() }
        let t = advance()
        try enter()
        defer { expressionDepth -= 1 }
        let operand = try notTest()
        return try node(.unary(.not, operand), at: t, operand)
    }

    private mutating func comparison() throws -> Expr {
        let first = try bitOr()
        var rest: [(op: CompareOp, right: Expr)] = []
        while true {
            var op: CompareOp?
            if current.kind == .op { op = CompareOp(rawValue: current.text); if op != nil { advance() } }
            else if current.isKeyword("in") { advance(); op = .contains }
            else if current.isKeyword("not"), tokens[position + 1].isKeyword("in") { advance(); advance(); op = .notContains }
            else if current.isKeyword("is") {
                advance()
                if current.isKeyword("not") { advance(); op = .isNot } else { op = .isSame }
            }
            guard let found = op else { break }
            rest.append((found, try bitOr()))
        }
        return rest.isEmpty ? first : try node(.compare(first, rest), from: first, [first] + rest.map(\.right))
    }

    /// Binding strength of binary operators (higher binds tighter), as in Python's grammar.
    private static func precedence(_ t: Token) -> (BinaryOp, Int)? {
        guard t.kind == .op else { return nil }
        switch t.text {
        case "|": return (.bitOr, 1)
        case "^": return (.bitXor, 2)
        case "&": return (.bitAnd, 3)
        case "<<": return (.shiftLeft, 4)
        case ">>": return (.shiftRight, 4)
        case "+": return (.add, 5)
        case "-": return (.subtract, 5)
        case "*": return (.multiply, 6)
        case "/": return (.divide, 6)
        case "//": return (.floorDivide, 6)
        case "%": return (.modulo, 6)
        case "@": return (.matmul, 6)
        default: return nil
        }
    }

    mutating func bitOr() throws -> Expr { try binary(minimum: 1) }

    /// Precedence climbing: one loop per level actually used instead of one call per grammar level per operand.
    /// Operators of equal strength associate to the left.
    private mutating func binary(minimum: Int) throws -> Expr {
        var left = try factor()
        while let (op, level) = Parser.precedence(tokens[position]), level >= minimum {
            advance()
            let right = try binary(minimum: level + 1)
            left = try node(.binary(op, left, right), from: left, [left, right])
        }
        return left
    }

    private mutating func factor() throws -> Expr {
        guard current.kind == .op, let op = ["-": UnaryOp.negate, "+": .plus, "~": .invert][current.text] else {
            return try power()
        }
        let t = advance()
        try enter()
        defer { expressionDepth -= 1 }
        let operand = try factor()
        return try node(.unary(op, operand), at: t, operand)
    }

    private mutating func power() throws -> Expr {
        let base = try primary()
        guard current.isOp("**") else { return base }
        advance()
        try enter()
        defer { expressionDepth -= 1 }
        let exponent = try factor()
        return try node(.binary(.power, base, exponent), from: base, [base, exponent])
    }

    private mutating func primary() throws -> Expr {
        var e = try atom()
        while true {
            if current.isOp(".") {
                advance()
                let name = try expectName("an attribute name after '.'")
                e = try node(.attribute(e, name.text), from: e, [e])
            } else if current.isOp("(") {
                advance()
                let args = try arguments()
                e = try node(.call(e, args), from: e, [e] + args.map(\.value))
            } else if current.isOp("[") {
                advance()
                let index = try subscripts()
                try expect("]")
                e = try node(.index(e, index), from: e, [e, index])
            } else {
                return e
            }
        }
    }

    private mutating func arguments() throws -> [Argument] {
        var args: [Argument] = []
        while !current.isOp(")") {
            if current.isOp("*") || current.isOp("**") {
                let stars = advance().text.count
                args.append(Argument(name: nil, value: try test(), stars: stars))
            } else if current.kind == .name, tokens[position + 1].isOp("=") {
                let name = advance().text
                advance()
                args.append(Argument(name: name, value: try test(), stars: 0))
            } else {
                var value = try test()
                if current.isKeyword("for") { value = try comprehension(element: value) }
                args.append(Argument(name: nil, value: value, stars: 0))
            }
            guard current.isOp(",") else { break }
            advance()
        }
        try expect(")")
        return args
    }

    private mutating func subscripts() throws -> Expr {
        let first = try subscriptItem()
        guard current.isOp(",") else { return first }
        var items = [first]
        while current.isOp(",") {
            advance()
            if current.isOp("]") { break }
            items.append(try subscriptItem())
        }
        return try node(.tuple(items), from: first, items)
    }

    private mutating func subscriptItem() throws -> Expr {
        let t = current
        var lower: Expr?
        if !current.isOp(":") {
            lower = try test()
            if !current.isOp(":"), let value = lower { return value }
        }
        advance()
        var parts: [Expr?] = [lower, nil, nil]
        if !current.isOp("]") && !current.isOp(",") && !current.isOp(":") { parts[1] = try test() }
        if current.isOp(":") {
            advance()
            if !current.isOp("]") && !current.isOp(",") { parts[2] = try test() }
        }
        return try node(.slice(parts[0], parts[1], parts[2]), line: t.line, column: t.column, parts.compactMap { $0 })
    }

    private mutating func comprehension(element: Expr) throws -> Expr {
        var clauses: [ComprehensionClause] = []
        var children = [element]
        while current.isKeyword("for") {
            advance()
            let target = try targetList()
            guard current.isKeyword("in") else { throw error("expected 'in', found \(current.display)", at: current) }
            advance()
            let iterable = try orTest()
            var conditions: [Expr] = []
            while current.isKeyword("if") { advance(); conditions.append(try orTest()) }
            clauses.append(ComprehensionClause(target: target, iterable: iterable, conditions: conditions))
            children += [target, iterable] + conditions
        }
        return try node(.comprehension(element: element, clauses: clauses), from: element, children)
    }

    private mutating func atom() throws -> Expr {
        let t = current
        switch t.kind {
        case .name: advance(); return try node(.name(t.text), at: t, nil)
        case .int: advance(); return try node(.int(t.intValue), at: t, nil)
        case .float: advance(); return try node(.float(t.floatValue), at: t, nil)
        case .string, .fstring:
            var text = ""
            var formatted = false
            while current.kind == .string || current.kind == .fstring {
                formatted = formatted || current.kind == .fstring
                text += advance().text
                guard text.utf8.count <= Limits.collection else { throw error("string literal is too long", at: t) }
            }
            return try node(formatted ? .formatted(text) : .string(text), at: t, nil)
        case .keyword:
            switch t.text {
            case "True": advance(); return try node(.bool(true), at: t, nil)
            case "False": advance(); return try node(.bool(false), at: t, nil)
            case "None": advance(); return try node(.none, at: t, nil)
            case "await": throw error("async code is not supported", at: t)
            default: throw unexpected(t)
            }
        case .op:
            switch t.text {
            case "...": advance(); return try node(.ellipsis, at: t, nil)
            case "(": return try parenthesised()
            case "[": return try listDisplay()
            case "{": return try dictDisplay()
            default: throw unexpected(t)
            }
        default:
            throw unexpected(t)
        }
    }

    private mutating func parenthesised() throws -> Expr {
        let t = advance()
        try enter()
        defer { expressionDepth -= 1 }
        if current.isOp(")") { advance(); return try node(.tuple([]), at: t, nil) }
        let first = try starOrTest()
        if current.isKeyword("for") {
            let c = try comprehension(element: first)
            try expect(")")
            return c
        }
        guard current.isOp(",") else { try expect(")"); return first }
        var items = [first]
        while current.isOp(",") {
            advance()
            if current.isOp(")") { break }
            items.append(try starOrTest())
        }
        try expect(")")
        return try node(.tuple(items), line: t.line, column: t.column, items)
    }

    private mutating func listDisplay() throws -> Expr {
        let t = advance()
        try enter()
        defer { expressionDepth -= 1 }
        var items: [Expr] = []
        while !current.isOp("]") {
            let item = try starOrTest()
            if items.isEmpty && current.isKeyword("for") {
                let c = try comprehension(element: item)
                try expect("]")
                return try node(.list([c]), line: t.line, column: t.column, [c]).unwrappingComprehension()
            }
            items.append(item)
            guard current.isOp(",") else { break }
            advance()
        }
        try expect("]")
        return try node(.list(items), line: t.line, column: t.column, items)
    }

    private mutating func dictDisplay() throws -> Expr {
        let t = advance()
        try enter()
        defer { expressionDepth -= 1 }
        var entries: [(key: Expr, value: Expr)] = []
        while !current.isOp("}") {
            let key = try test()
            guard current.isOp(":") else { throw error("set literals and dict unpacking are not supported", at: current) }
            advance()
            let value = try test()
            if current.isKeyword("for") {
                // `{k: v for ...}` reads as `dict([(k, v) for ...])`.
                guard entries.isEmpty else { throw unexpected(current) }
                let pair = try node(.tuple([key, value]), line: key.line, column: key.column, [key, value])
                let c = try comprehension(element: pair)
                try expect("}")
                let callee = try node(.name("dict"), line: t.line, column: t.column, [])
                return try node(.call(callee, [Argument(name: nil, value: c, stars: 0)]), line: t.line, column: t.column, [callee, c])
            }
            entries.append((key, value))
            guard current.isOp(",") else { break }
            advance()
        }
        try expect("}")
        return try node(.dict(entries), line: t.line, column: t.column, entries.flatMap { [$0.key, $0.value] })
    }
}

extension Expr {
    /// `[x for ...]` is parsed as a list around a comprehension; a list comprehension is just the comprehension.
    fileprivate func unwrappingComprehension() -> Expr {
        if case .list(let items) = kind, items.count == 1, case .comprehension = items[0].kind {
            return Expr(kind: items[0].kind, line: line, column: column, height: height)
        }
        return self
    }
}
