/// One lexical token of the Python subset. Positions are 1-based; columns count characters, not bytes.
struct Token: Sendable {
    enum Kind: UInt8, Sendable {
        case name, keyword, int, float, string, fstring, op, newline, indent, dedent, end
    }

    var kind: Kind
    /// Identifier, keyword or operator spelling; the decoded value for strings.
    var text: String
    var intValue: Int = 0
    var floatValue: Double = 0
    var line: Int
    var column: Int

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .newline: return "end of line"
        case .indent: return "indent"
        case .dedent: return "dedent"
        case .end: return "end of file"
        case .string, .fstring: return "string literal"
        default: return "'\(text)'"
        }
    }

    func isOp(_ s: String) -> Bool { kind == .op && text == s }
    func isKeyword(_ s: String) -> Bool { kind == .keyword && text == s }
}

enum PythonSyntax {
    static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    /// Operators by length, longest first, so `**=` wins over `**` and `*`.
    static let operators3: Set<String> = ["**=", "//=", ">>=", "<<=", "..."]
    static let operators2: Set<String> = [
        "->", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
        "@=", ":=",
    ]
    static let operators1: Set<UInt8> = Set("+-*/%@&|^~<>()[]{},:.;=".utf8)

    static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || b >= 0x80
    }

    static func isIdentifierByte(_ b: UInt8) -> Bool { isIdentifierStart(b) || (b >= 48 && b <= 57) }

    static func isValidIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, isIdentifierStart(first) else { return false }
        return s.utf8.allSatisfy(isIdentifierByte) && !keywords.contains(s)
    }
}
