import Foundation

/// Python's three ways of building a string from values, as model-written code uses them for module names
/// (`add_module(f"conv{i}", ...)`, `'conv%d' % i`, `'conv{}'.format(i)`): f-string fields with an optional
/// conversion and format spec, `str.format` with positional and keyword fields, and `%` with `d i s f r`.
/// Format specs cover what names need: fill/zero padding, width, precision and the `d s f` types.
extension Interpreter {
    /// An f-string's text with its `{expression[!conversion][:spec]}` fields evaluated in `scope`.
    func formatted(_ text: String, _ scope: Scope, at e: Expr) throws -> Value {
        try .string(expandFields(text, at: e) { field, _ in
            let source = String(field)
            let statements: [Stmt]
            do { statements = try Parser.parse(source, file: file) } catch {
                throw fail("f-string field {\(source)} is not an expression", at: e, kind: .syntax)
            }
            guard statements.count == 1, case .expression(let inner) = statements[0].kind else {
                throw fail("f-string field {\(source)} is not an expression", at: e, kind: .syntax)
            }
            return try evaluate(Self.relocated(inner, to: e), scope)
        })
    }

    /// `template.format(*args, **kwargs)`: `{}` takes the next positional, `{0}` and `{name}` name one.
    func formatMethod(_ template: String, _ args: CallArguments, at e: Expr) throws -> Value {
        var next = 0
        return try .string(expandFields(template, at: e) { field, _ in
            if field.isEmpty {
                defer { next += 1 }
                guard next < args.positional.count else { throw fail("str.format(): not enough arguments", at: e, kind: .arguments) }
                return args.positional[next].value
            }
            if let i = Int(field) {
                guard i >= 0, i < args.positional.count else { throw fail("str.format(): no argument \(i)", at: e, kind: .arguments) }
                return args.positional[i].value
            }
            guard let k = args.keywords.first(where: { $0.name == String(field) }) else {
                throw fail("str.format(): no argument named '\(field)'", at: e, kind: .arguments)
            }
            return k.value
        })
    }

    /// `template % values` (a tuple, or one value).
    func percentFormat(_ template: String, _ values: Value, at e: Expr) throws -> String {
        let items: [Value]
        if case .tuple(let t) = values { items = t } else { items = [values] }
        var out = "", next = 0
        var chars = template[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "%" else { out.append(c); continue }
            var spec = ""
            while let s = chars.first, "0123456789.-+ ".contains(s) { spec.append(s); chars = chars.dropFirst() }
            guard let type = chars.first else { throw fail("'%' format: incomplete format", at: e, kind: .evaluation) }
            chars = chars.dropFirst()
            if type == "%" { out.append("%"); continue }
            guard next < items.count else { throw fail("'%' format: not enough arguments for format string", at: e, kind: .evaluation) }
            let mapped: Character = type == "i" ? "d" : type == "r" ? "s" : type
            out += try formatValue(items[next], spec: spec + String(mapped), at: e)
            next += 1
        }
        guard next == items.count else { throw fail("'%' format: not all arguments converted during string formatting", at: e, kind: .evaluation) }
        return out
    }

    /// Python's `str()` of a value that can appear in a name.
    func pythonString(_ v: Value, at e: Expr) throws -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .float(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 1e16 { return String(format: "%.1f", d) }
            return String(d)
        default: throw fail("str() of \(v.typeName) is not supported", at: e, kind: .unsupportedConstruct)
        }
    }

    /// One value under a format spec `[[fill]align][0][width][.precision][type]`.
    func formatValue(_ v: Value, spec: String, at e: Expr) throws -> String {
        guard !spec.isEmpty else { return try pythonString(v, at: e) }
        var s = spec[...]
        var type: Character?
        if let last = s.last, last.isLetter { type = last; s = s.dropLast() }
        var fill: Character = " ", align: Character?
        if s.count >= 2, "<>^".contains(s[s.index(after: s.startIndex)]) {
            fill = s.first!; align = s[s.index(after: s.startIndex)]; s = s.dropFirst(2)
        } else if let f = s.first, "<>^".contains(f) { align = f; s = s.dropFirst() }
        if s.first == "-" || s.first == "+" || s.first == " " { s = s.dropFirst() }
        if s.first == "0" { fill = "0"; align = align ?? "="; s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let width = parts.first.map({ $0.isEmpty ? 0 : Int($0) }) ?? 0, width <= 1000,
              parts.count < 2 || Int(parts[1]) != nil else {
            throw fail("format spec '\(spec)' is not supported", at: e, kind: .unsupportedConstruct)
        }
        let precision = parts.count == 2 ? Int(parts[1]) : nil
        var body: String
        switch (type, v) {
        case ("d", .int(let i)), (nil, .int(let i)): body = String(i)
        case ("d", .bool(let b)): body = b ? "1" : "0"
        case ("f", _), ("F", _):
            guard case let n? = number(v) else { throw fail("format spec '\(spec)' needs a number", at: e, kind: .evaluation) }
            body = String(format: "%.\(min(precision ?? 6, 50))f", n.asDouble)
        case ("s", _), (nil, _): body = try pythonString(v, at: e)
        default: throw fail("format spec '\(spec)' is not supported for \(v.typeName)", at: e, kind: .unsupportedConstruct)
        }
        let pad = max(0, width - body.count)
        guard pad > 0 else { return body }
        let padding = String(repeating: fill, count: pad)
        switch align ?? (number(v) != nil && type != "s" ? ">" : "<") {
        case "<": return body + padding
        case "^": return String(repeating: fill, count: pad / 2) + body + String(repeating: fill, count: pad - pad / 2)
        case "=" where body.hasPrefix("-"): return "-" + padding + body.dropFirst()
        default: return padding + body
        }
    }

    /// Replaces each `{field}` of `text` (`{{` and `}}` stand for braces) with the formatted value `value(field)`
    /// gives; a field's `!r`/`!s` conversion is dropped and its `:spec` applied.
    private func expandFields(_ text: String, at e: Expr,
                              _ value: (Substring, Substring) throws -> Value) throws -> String {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "}" {
                guard next < text.endIndex, text[next] == "}" else { throw fail("single '}' in a format string", at: e, kind: .syntax) }
                out.append("}"); i = text.index(after: next); continue
            }
            guard c == "{" else { out.append(c); i = next; continue }
            if next < text.endIndex, text[next] == "{" { out.append("{"); i = text.index(after: next); continue }
            var depth = 0, j = next
            while j < text.endIndex, !(depth == 0 && text[j] == "}") {
                if "([{".contains(text[j]) { depth += 1 } else if ")]}".contains(text[j]) { depth -= 1 }
                j = text.index(after: j)
            }
            guard j < text.endIndex else { throw fail("unterminated field in a format string", at: e, kind: .syntax) }
            var field = text[next..<j], spec: Substring = ""
            if let colon = Self.topLevelColon(field) { spec = field[field.index(after: colon)...]; field = field[..<colon] }
            if field.hasSuffix("!r") || field.hasSuffix("!s") { field = field.dropLast(2) }
            out += try formatValue(try value(field.trimmingCharacters(in: .whitespaces)[...], spec), spec: String(spec), at: e)
            guard out.utf8.count <= Limits.collection else { throw fail("string is longer than \(Limits.collection) characters", at: e, kind: .limit) }
            i = text.index(after: j)
        }
        return out
    }

    private static func topLevelColon(_ field: Substring) -> Substring.Index? {
        var depth = 0
        for i in field.indices {
            let c = field[i]
            if "([{".contains(c) { depth += 1 } else if ")]}".contains(c) { depth -= 1 } else if c == ":" && depth == 0 { return i }
        }
        return nil
    }

    /// An expression parsed from an f-string field, located at the f-string for error messages.
    private static func relocated(_ inner: Expr, to e: Expr) -> Expr {
        var copy = inner
        copy.line = e.line; copy.column = e.column
        return copy
    }
}
