import NetIR

/// Splits Python source into tokens the way CPython's tokenizer does for the subset we read: logical lines end
/// in NEWLINE, indentation changes become INDENT/DEDENT, and newlines inside brackets or after a backslash are
/// ignored. Works on UTF-8 bytes for speed; columns are counted in characters.
struct Tokenizer {
    private let bytes: [UInt8]
    private let file: String
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var tokens: [Token] = []
    private var indents: [Int] = [0]
    private var brackets: [(byte: UInt8, line: Int, column: Int)] = []
    private var lineHasTokens = false
    private var columnCache = (line: 0, offset: 0, column: 1)

    /// Python refuses more nesting than this too ("too many nested parentheses").
    static let maxBrackets = 200
    static let maxSourceBytes = 8 << 20

    static func tokenize(_ source: String, file: String) throws -> [Token] {
        var t = Tokenizer(bytes: Array(source.utf8), file: file)
        guard t.bytes.count <= maxSourceBytes else { throw t.error("source is larger than \(maxSourceBytes) bytes", 1, 1) }
        try t.run()
        return t.tokens
    }

    private init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

    private func error(_ message: String, _ line: Int, _ column: Int) -> SourceError {
        SourceError(location: SourceLocation(file: file, line: line, column: column), message: message, kind: .syntax)
    }

    /// Character column of a byte offset on the current line; amortised linear because offsets only grow.
    private mutating func column(at offset: Int) -> Int {
        if columnCache.line != line || offset < columnCache.offset { columnCache = (line, lineStart, 1) }
        var col = columnCache.column
        var j = columnCache.offset
        while j < offset { if bytes[j] & 0xC0 != 0x80 { col += 1 }; j += 1 }
        columnCache = (line, offset, col)
        return col
    }

    private func byte(_ k: Int) -> UInt8 { k < bytes.count ? bytes[k] : 0 }

    private mutating func add(_ kind: Token.Kind, _ text: String, at offset: Int, int: Int = 0, float: Double = 0) {
        let col = column(at: offset)
        tokens.append(Token(kind: kind, text: text, intValue: int, floatValue: float, line: line, column: col))
        if kind != .indent && kind != .dedent { lineHasTokens = true }
    }

    private mutating func newLine(after offset: Int) {
        line += 1
        lineStart = offset
    }

    private mutating func run() throws {
        var atLineStart = true
        while true {
            if atLineStart && brackets.isEmpty {
                guard try indentation() else { break }
                atLineStart = false
            }
            guard i < bytes.count else { break }
            let b = bytes[i]
            switch b {
            case 32, 9, 12: i += 1
            case 35: while i < bytes.count && bytes[i] != 10 && bytes[i] != 13 { i += 1 }
            case 10, 13:
                if brackets.isEmpty && lineHasTokens { add(.newline, "", at: i); lineHasTokens = false }
                i += (b == 13 && byte(i + 1) == 10) ? 2 : 1
                newLine(after: i)
                if brackets.isEmpty { atLineStart = true }
            case 92:
                let next = byte(i + 1)
                guard next == 10 || next == 13 else {
                    throw error("unexpected character after line continuation character", line, column(at: i))
                }
                i += (next == 13 && byte(i + 2) == 10) ? 3 : 2
                newLine(after: i)
            case 48...57: try number()
            case 46 where (48...57).contains(byte(i + 1)): try number()
            case 34, 39: try string(prefixStart: i)
            case _ where PythonSyntax.isIdentifierStart(b): try identifier()
            case 0: throw error("source contains a null byte", line, column(at: i))
            default: try punctuation()
            }
        }
        if let open = brackets.last {
            throw error("'\(Character(UnicodeScalar(open.byte)))' was never closed", open.line, open.column)
        }
        if lineHasTokens { add(.newline, "", at: i) }
        for _ in indents.dropFirst() { add(.dedent, "", at: i) }
        add(.end, "", at: i)
    }

    /// Measures a line's indentation and emits INDENT/DEDENT; skips blank and comment-only lines.
    /// Returns false at end of input.
    private mutating func indentation() throws -> Bool {
        while true {
            var width = 0
            var j = i
            scan: while j < bytes.count {
                switch bytes[j] {
                case 32: width += 1
                case 9: width = (width / 8 + 1) * 8
                case 12: width = 0
                default: break scan
                }
                j += 1
            }
            guard j < bytes.count else { i = j; return false }
            let b = bytes[j]
            if b == 35 { while j < bytes.count && bytes[j] != 10 && bytes[j] != 13 { j += 1 } }
            if j < bytes.count, bytes[j] == 10 || bytes[j] == 13 {
                j += (bytes[j] == 13 && byte(j + 1) == 10) ? 2 : 1
                i = j
                newLine(after: j)
                continue
            }
            guard j < bytes.count else { i = j; return false }
            i = j
            let current = indents[indents.count - 1]
            if width > current {
                indents.append(width)
                add(.indent, "", at: i)
            } else if width < current {
                while let last = indents.last, width < last { indents.removeLast(); add(.dedent, "", at: i) }
                guard indents.last == width else {
                    throw error("unindent does not match any outer indentation level", line, column(at: i))
                }
            }
            return true
        }
    }

    private mutating func identifier() throws {
        let start = i
        while i < bytes.count && PythonSyntax.isIdentifierByte(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if (byte(i) == 34 || byte(i) == 39) && i - start <= 2,
           text.lowercased().allSatisfy({ "rbuf".contains($0) }) {
            i = start
            try string(prefixStart: start)
            return
        }
        add(PythonSyntax.keywords.contains(text) ? .keyword : .name, text, at: start)
    }

    private mutating func number() throws {
        let start = i
        let col = column(at: start)
        func digits(_ ok: (UInt8) -> Bool) { while i < bytes.count && (ok(bytes[i]) || bytes[i] == 95) { i += 1 } }
        let isDigit: (UInt8) -> Bool = { (48...57).contains($0) }
        var isFloat = false
        var radix = 10
        let marker = byte(i + 1) | 0x20
        if bytes[i] == 48, marker == 120 || marker == 111 || marker == 98 {
            radix = marker == 120 ? 16 : marker == 111 ? 8 : 2
            i += 2
            digits { b in (48...57).contains(b) || (97...102).contains(b | 0x20) }
        } else {
            digits(isDigit)
            if byte(i) == 46 { isFloat = true; i += 1; digits(isDigit) }
            let e = byte(i) | 0x20
            if e == 101, isDigit(byte(i + 1)) || ((byte(i + 1) == 43 || byte(i + 1) == 45) && isDigit(byte(i + 2))) {
                isFloat = true
                i += 2
                digits(isDigit)
            }
        }
        if byte(i) | 0x20 == 106 { throw error("complex numbers are not supported", line, col) }
        if i < bytes.count && PythonSyntax.isIdentifierStart(bytes[i]) {
            throw error("invalid number literal", line, col)
        }
        var text = String(decoding: bytes[start..<i].filter { $0 != 95 }, as: UTF8.self)
        if isFloat {
            guard let v = Double(text) else { throw error("invalid number literal '\(text)'", line, col) }
            add(.float, text, at: start, float: v)
        } else {
            if radix != 10 { text.removeFirst(2) }
            guard !text.isEmpty else { throw error("invalid number literal", line, col) }
            guard let v = Int(text, radix: radix) else { throw error("integer literal is too large", line, col) }
            add(.int, text, at: start, int: v)
        }
    }

    private mutating func string(prefixStart: Int) throws {
        var j = prefixStart
        var raw = false, formatted = false
        while bytes[j] != 34 && bytes[j] != 39 {
            switch bytes[j] | 0x20 { case 114: raw = true; case 102: formatted = true; default: break }
            j += 1
        }
        let startLine = line, startCol = column(at: prefixStart)
        let quote = bytes[j]
        let triple = byte(j + 1) == quote && byte(j + 2) == quote
        i = j + (triple ? 3 : 1)
        var out: [UInt8] = []
        func unterminated() -> SourceError {
            error(triple ? "unterminated triple-quoted string literal" : "unterminated string literal", startLine, startCol)
        }
        while true {
            guard i < bytes.count else { throw unterminated() }
            let c = bytes[i]
            if c == 92 {
                guard i + 1 < bytes.count else { throw unterminated() }
                let next = bytes[i + 1]
                if next == 10 || next == 13 {
                    if raw { out.append(c); out.append(next) }
                    i += (next == 13 && byte(i + 2) == 10) ? 3 : 2
                    newLine(after: i)
                } else {
                    i += 2
                    if raw { out.append(c); out.append(next); continue }
                    switch next {
                    case 110: out.append(10)
                    case 116: out.append(9)
                    case 114: out.append(13)
                    case 48: out.append(0)
                    case 92, 39, 34: out.append(next)
                    default: out.append(c); out.append(next)
                    }
                }
            } else if c == quote && (!triple || (byte(i + 1) == quote && byte(i + 2) == quote)) {
                i += triple ? 3 : 1
                break
            } else if c == 10 || c == 13 {
                guard triple else { throw unterminated() }
                out.append(10)
                i += (c == 13 && byte(i + 1) == 10) ? 2 : 1
                newLine(after: i)
            } else {
                out.append(c)
                i += 1
            }
        }
        let text = String(decoding: out, as: UTF8.self)
        tokens.append(Token(kind: formatted ? .fstring : .string, text: text, line: startLine, column: startCol))
        lineHasTokens = true
    }

    private mutating func punctuation() throws {
        let start = i
        let b = bytes[i]
        // Only these bytes begin multi-character operators; skip the lookups for brackets, commas and dots.
        if b != 40 && b != 41 && b != 91 && b != 93 && b != 123 && b != 125 && b != 44 && (b != 46 || byte(i + 1) == 46) {
            for length in [3, 2] where i + length <= bytes.count {
                let s = String(decoding: bytes[i..<i + length], as: UTF8.self)
                if (length == 3 ? PythonSyntax.operators3 : PythonSyntax.operators2).contains(s) {
                    i += length
                    add(.op, s, at: start)
                    return
                }
            }
        }
        let col = column(at: start)
        guard PythonSyntax.operators1.contains(b) else {
            let scalar = String(decoding: bytes[i..<min(i + 4, bytes.count)], as: UTF8.self).unicodeScalars.first
            let shown = scalar.map { $0.isASCII && $0.value >= 32 ? "'\(Character($0))'" : "U+\(String($0.value, radix: 16, uppercase: true))" }
            throw error("unexpected character \(shown ?? "?")", line, col)
        }
        i += 1
        let ch = Character(UnicodeScalar(b))
        switch b {
        case 40, 91, 123:
            guard brackets.count < Self.maxBrackets else { throw error("too many nested parentheses", line, col) }
            brackets.append((b, line, col))
        case 41, 93, 125:
            guard let open = brackets.popLast() else { throw error("unmatched '\(ch)'", line, col) }
            let expected: UInt8 = open.byte == 40 ? 41 : open.byte + 2
            guard expected == b else {
                throw error("closing parenthesis '\(ch)' does not match opening parenthesis '\(Character(UnicodeScalar(open.byte)))'", line, col)
            }
        default: break
        }
        add(.op, String(ch), at: start)
    }
}
