import NetIR

/// Recursive-descent parser for the statement level of the Python subset. Compound statements that networks never
/// need (`while`, `with`, `try`) are still parsed, so that test code around a network does not stop the read,
/// but they become `.unsupported` and refuse to run.
struct Parser {
    let tokens: [Token]
    let file: String
    var position = 0
    var blockDepth = 0
    var expressionDepth = 0

    static func parse(_ source: String, file: String) throws -> [Stmt] {
        var parser = Parser(tokens: try Tokenizer.tokenize(source, file: file), file: file)
        return try parser.parseFile()
    }

    init(tokens: [Token], file: String) { self.tokens = tokens; self.file = file }

    var current: Token { tokens[position] }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    func error(_ message: String, at token: Token) -> SourceError {
        SourceError(location: SourceLocation(file: file, line: token.line, column: token.column), message: message, kind: .syntax)
    }

    func unexpected(_ t: Token) -> SourceError {
        switch t.kind {
        case .indent: return error("unexpected indent", at: t)
        case .dedent: return error("unexpected dedent", at: t)
        case .newline: return error("unexpected end of line", at: t)
        case .end: return error("unexpected end of file", at: t)
        default: return error("unexpected token \(t.display)", at: t)
        }
    }

    @discardableResult
    mutating func expect(_ op: String) throws -> Token {
        guard current.isOp(op) else { throw error("expected '\(op)', found \(current.display)", at: current) }
        return advance()
    }

    mutating func expectName(_ what: String) throws -> Token {
        guard current.kind == .name else { throw error("expected \(what), found \(current.display)", at: current) }
        return advance()
    }

    mutating func parseFile() throws -> [Stmt] {
        var body: [Stmt] = []
        while current.kind != .end {
            if current.kind == .newline { advance(); continue }
            guard current.kind != .indent && current.kind != .dedent else { throw unexpected(current) }
            body += try statement()
        }
        return body
    }

    private mutating func statement() throws -> [Stmt] {
        let t = current
        if t.kind == .keyword {
            switch t.text {
            case "class": return [try classDefinition()]
            case "def": return [try functionDefinition(decorated: false)]
            case "if": return [try ifStatement()]
            case "for": return [try forStatement()]
            case "while": return [try whileStatement()]
            case "with": return [try withStatement()]
            case "try": return [try tryStatement()]
            case "async": throw error("async code is not supported", at: t)
            default: break
            }
        }
        if t.isOp("@") { return [try decorated()] }
        return try simpleStatements()
    }

    /// The body after a `:`: an indented block or statements on the same line.
    mutating func block() throws -> [Stmt] {
        try expect(":")
        guard current.kind == .newline else { return try simpleStatements() }
        advance()
        guard current.kind == .indent else { throw error("expected an indented block", at: current) }
        advance()
        blockDepth += 1
        defer { blockDepth -= 1 }
        guard blockDepth <= Limits.blockDepth else { throw error("too many nested blocks", at: current) }
        var body: [Stmt] = []
        while current.kind != .dedent && current.kind != .end {
            guard current.kind != .indent else { throw unexpected(current) }
            body += try statement()
        }
        if current.kind == .dedent { advance() }
        return body
    }

    private mutating func simpleStatements() throws -> [Stmt] {
        var result = [try smallStatement()]
        while current.isOp(";") {
            advance()
            if current.kind == .newline || current.kind == .end { break }
            result.append(try smallStatement())
        }
        guard current.kind == .newline || current.kind == .end else { throw unexpected(current) }
        advance()
        return result
    }

    private func statement(_ kind: StmtKind, at t: Token) -> Stmt { Stmt(kind: kind, line: t.line, column: t.column) }

    private mutating func smallStatement() throws -> Stmt {
        let t = current
        if t.kind == .keyword {
            switch t.text {
            case "pass": advance(); return statement(.pass, at: t)
            case "break": advance(); return statement(.breakLoop, at: t)
            case "continue": advance(); return statement(.continueLoop, at: t)
            case "return":
                advance()
                let ends = current.kind == .newline || current.kind == .end || current.isOp(";")
                return statement(.returnValue(ends ? nil : try testList()), at: t)
            case "import": return try importStatement()
            case "from": return try fromImport()
            case "global", "nonlocal", "del", "assert", "raise":
                advance()
                while current.kind != .newline && current.kind != .end && !current.isOp(";") {
                    if current.isKeyword("from") { advance() }
                    _ = try test()
                    if current.isOp(",") { advance() }
                }
                return statement(.unsupported("'\(t.text)' statements"), at: t)
            case "yield": throw error("generators (yield) are not supported", at: t)
            default: break
            }
        }
        let first = try testList(allowStarred: true)
        if current.kind == .op, current.text.count >= 2, current.text.hasSuffix("="),
           let op = BinaryOp(rawValue: String(current.text.dropLast())) {
            advance()
            try checkAssignable(first, single: true)
            return statement(.augmentedAssign(target: first, op: op, value: try testList()), at: t)
        }
        if current.isOp(":") {
            advance()
            _ = try test()
            try checkAssignable(first, single: true)
            var value: Expr?
            if current.isOp("=") { advance(); value = try testList() }
            return statement(.annotated(target: first, value: value), at: t)
        }
        guard current.isOp("=") else { return statement(.expression(first), at: t) }
        var targets = [first]
        var value = first
        while current.isOp("=") {
            advance()
            value = try testList(allowStarred: true)
            if current.isOp("=") { targets.append(value) }
        }
        for target in targets { try checkAssignable(target, single: false) }
        return statement(.assign(targets: targets, value: value), at: t)
    }

    private func checkAssignable(_ e: Expr, single: Bool) throws {
        let at = Token(kind: .name, text: "", line: e.line, column: e.column)
        switch e.kind {
        case .name, .attribute, .index: return
        case .tuple(let items) where !single, .list(let items) where !single:
            for item in items { try checkAssignable(item, single: false) }
        case .starred: throw error("starred assignment targets are not supported", at: at)
        default: throw error("cannot assign to this expression", at: at)
        }
    }

    private mutating func dottedName() throws -> String {
        var name = try expectName("a module name").text
        while current.isOp(".") { advance(); name += "." + (try expectName("a module name").text) }
        return name
    }

    private mutating func importStatement() throws -> Stmt {
        let t = advance()
        var names: [ImportedName] = []
        repeat {
            if !names.isEmpty { advance() }
            let name = try dottedName()
            var alias: String?
            if current.isKeyword("as") { advance(); alias = try expectName("a name after 'as'").text }
            names.append(ImportedName(name: name, alias: alias))
        } while current.isOp(",")
        return statement(.importModules(names), at: t)
    }

    private mutating func fromImport() throws -> Stmt {
        let t = advance()
        var module = ""
        while current.isOp(".") || current.isOp("...") { module += advance().text }
        if current.kind == .name { module += try dottedName() }
        guard current.isKeyword("import") else { throw error("expected 'import', found \(current.display)", at: current) }
        advance()
        if current.isOp("*") { advance(); return statement(.importFrom(module: module, names: []), at: t) }
        let parenthesised = current.isOp("(")
        if parenthesised { advance() }
        var names: [ImportedName] = []
        while true {
            let name = try expectName("a name to import").text
            var alias: String?
            if current.isKeyword("as") { advance(); alias = try expectName("a name after 'as'").text }
            names.append(ImportedName(name: name, alias: alias))
            guard current.isOp(",") else { break }
            advance()
            if parenthesised && current.isOp(")") { break }
        }
        if parenthesised { try expect(")") }
        return statement(.importFrom(module: module, names: names), at: t)
    }

    private mutating func classDefinition() throws -> Stmt {
        let t = advance()
        let name = try expectName("a class name").text
        var bases: [Expr] = []
        if current.isOp("(") {
            advance()
            while !current.isOp(")") {
                if current.kind == .name, tokens[position + 1].isOp("=") {
                    throw error("class keyword arguments are not supported", at: current)
                }
                bases.append(try test())
                guard current.isOp(",") else { break }
                advance()
            }
            try expect(")")
        }
        let body = try block()
        return statement(.classDef(ClassDef(name: name, bases: bases, body: body, line: t.line, column: t.column)), at: t)
    }

    private mutating func functionDefinition(decorated: Bool, isStatic: Bool = false) throws -> Stmt {
        let t = advance()
        let name = try expectName("a function name").text
        try expect("(")
        var parameters: [Parameter] = []
        var keywordOnly = false
        while !current.isOp(")") {
            if current.isOp("/") {
                advance()
            } else if current.isOp("*") || current.isOp("**") {
                let stars = advance().text
                if stars == "*" && (current.isOp(",") || current.isOp(")")) {
                    keywordOnly = true
                } else {
                    let p = try expectName("a parameter name").text
                    if current.isOp(":") { advance(); _ = try test() }
                    parameters.append(Parameter(name: p, defaultValue: nil, kind: stars == "*" ? .variadic : .keywords,
                                                keywordOnly: false))
                    if stars == "*" { keywordOnly = true }
                }
            } else {
                let p = try expectName("a parameter name").text
                if current.isOp(":") { advance(); _ = try test() }
                var value: Expr?
                if current.isOp("=") { advance(); value = try test() }
                parameters.append(Parameter(name: p, defaultValue: value, kind: .normal, keywordOnly: keywordOnly))
            }
            guard current.isOp(",") else { break }
            advance()
        }
        try expect(")")
        if current.isOp("->") { advance(); _ = try test() }
        let body = try block()
        let def = FunctionDef(name: name, parameters: parameters, body: body, decorated: decorated, isStatic: isStatic,
                              line: t.line, column: t.column)
        return statement(.functionDef(def), at: t)
    }

    private mutating func decorated() throws -> Stmt {
        let t = current
        var onlyStatic = true
        while current.isOp("@") {
            advance()
            let decorator = try test()
            if case .name("staticmethod") = decorator.kind {} else { onlyStatic = false }
            guard current.kind == .newline else { throw unexpected(current) }
            advance()
        }
        if current.isKeyword("def") { return try functionDefinition(decorated: !onlyStatic, isStatic: onlyStatic) }
        guard current.isKeyword("class") else { throw error("expected 'def' or 'class' after a decorator", at: current) }
        _ = try classDefinition()
        return statement(.unsupported("decorated classes"), at: t)
    }

    private mutating func ifStatement() throws -> Stmt {
        let t = advance()
        var branches = [(condition: try test(), body: try block())]
        var otherwise: [Stmt] = []
        while current.isKeyword("elif") {
            advance()
            branches.append((try test(), try block()))
        }
        if current.isKeyword("else") { advance(); otherwise = try block() }
        return statement(.ifChain(branches: branches, otherwise: otherwise), at: t)
    }

    private mutating func forStatement() throws -> Stmt {
        let t = advance()
        let target = try targetList()
        guard current.isKeyword("in") else { throw error("expected 'in', found \(current.display)", at: current) }
        advance()
        let iterable = try testList()
        let body = try block()
        var otherwise: [Stmt] = []
        if current.isKeyword("else") { advance(); otherwise = try block() }
        return statement(.forLoop(target: target, iterable: iterable, body: body, otherwise: otherwise), at: t)
    }

    private mutating func whileStatement() throws -> Stmt {
        let t = advance()
        let condition = try test()
        let body = try block()
        var otherwise: [Stmt] = []
        if current.isKeyword("else") { advance(); otherwise = try block() }
        return statement(.whileLoop(condition: condition, body: body, otherwise: otherwise), at: t)
    }

    private mutating func withStatement() throws -> Stmt {
        let t = advance()
        var contexts: [(context: Expr, target: Expr?)] = []
        repeat {
            if current.isOp(",") { advance() }
            let context = try test()
            var target: Expr?
            if current.isKeyword("as") { advance(); target = try targetList() }
            contexts.append((context, target))
        } while current.isOp(",")
        let body = try block()
        return statement(.with(contexts: contexts, body: body), at: t)
    }

    private mutating func tryStatement() throws -> Stmt {
        let t = advance()
        _ = try block()
        while current.isKeyword("except") {
            advance()
            if !current.isOp(":") {
                _ = try test()
                if current.isKeyword("as") { advance(); _ = try expectName("a name after 'as'") }
            }
            _ = try block()
        }
        for clause in ["else", "finally"] where current.isKeyword(clause) { advance(); _ = try block() }
        return statement(.unsupported("'try' statements"), at: t)
    }
}
