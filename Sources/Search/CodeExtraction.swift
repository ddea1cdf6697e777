/// Pulls the Python code out of a language model's reply: the best fenced block (```python, ```py or a bare
/// ```), else bare code from the first line that starts with `import`, `from` or `class`.
public enum CodeExtraction {
    /// Replies beyond this are cut before extraction; no network needs a megabyte of source.
    public static let maxReplyCharacters = 1 << 20

    public static func extract(from reply: String) -> String? {
        let text = String(reply.prefix(maxReplyCharacters))
        // `\r\n` is one Character in Swift, so split on any newline rather than on "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let blocks = fencedBlocks(lines)
        // Prefer blocks that define a class; among them the longest (models often show a fragment first).
        let withClass = blocks.filter { $0.contains("class ") }
        if let best = withClass.max(by: { $0.count < $1.count }) { return trimmed(best) }
        if let bare = bareCode(lines) { return trimmed(bare) }
        if let any = blocks.max(by: { $0.count < $1.count }), any.contains("import ") { return trimmed(any) }
        return nil
    }

    /// Python-ish languages a fence may name; other languages (```bash, ```json) are skipped.
    static func isPythonFence(_ info: Substring) -> Bool {
        let tag = info.trimmingWhitespace().lowercased()
        return tag.isEmpty || tag == "python" || tag == "py" || tag == "python3" || tag == "pytorch"
    }

    /// Contents of ``` fences; an unterminated fence (a reply cut off by the token limit) runs to the end.
    static func fencedBlocks(_ lines: [String]) -> [String] {
        var blocks: [String] = []
        var current: [String]? = nil
        var isPython = false
        for line in lines {
            let t = line.trimmingWhitespace()
            if current != nil, !t.hasPrefix("```"), t.hasSuffix("```") {
                // `...code````: a fence closed on the code's last line.
                var code = Substring(line)
                while let last = code.last, last.isWhitespace { code.removeLast() }
                current?.append(String(code.dropLast(3)))
                if let body = current, isPython { blocks.append(body.joined(separator: "\n")) }
                current = nil
                continue
            }
            if t.hasPrefix("```") {
                if let body = current {
                    if isPython { blocks.append(body.joined(separator: "\n")) }
                    current = nil
                } else {
                    isPython = isPythonFence(t.dropFirst(3))
                    current = []
                }
            } else if current != nil {
                current?.append(line)
            }
        }
        if let body = current, isPython { blocks.append(body.joined(separator: "\n")) }
        return blocks
    }

    /// From the first `import`/`from`/`class` line to the first top-level line of prose after it.
    static func bareCode(_ lines: [String]) -> String? {
        guard let start = lines.firstIndex(where: { startsCode($0) }) else { return nil }
        var body: [String] = []
        for line in lines[start...] {
            let isTopLevel = !(line.first?.isWhitespace ?? true)
            if isTopLevel && !body.isEmpty && !looksLikePython(line) { break }
            body.append(line)
        }
        let code = body.joined(separator: "\n")
        return code.contains("class ") ? code : nil
    }

    static func startsCode(_ line: String) -> Bool {
        line.hasPrefix("import ") || line.hasPrefix("from ") || line.hasPrefix("class ")
    }

    /// A top-level line that Python would accept as the start of a statement (prose such as "This network
    /// adds ..." is rejected because of its spaces between bare words).
    static func looksLikePython(_ line: String) -> Bool {
        let keywords = ["import ", "from ", "class ", "def ", "@", "#", "if ", "for ", "while ", "with ", "try:",
                        "except", "else:", "elif ", "return", "print(", "\"\"\"", "'''", ")", "]", "}"]
        if keywords.contains(where: { line.hasPrefix($0) }) { return true }
        // `name = ...`, `name(...)`, `name.attr(...)`: an identifier directly followed by an operator.
        let head = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        guard !head.isEmpty else { return false }
        let rest = line.dropFirst(head.count).trimmingWhitespace()
        return rest.isEmpty || rest.hasPrefix("=") || rest.hasPrefix("(") || rest.hasPrefix("[") || rest.hasPrefix(":")
            || rest.hasPrefix("+=") || rest.hasPrefix(",")
    }

    static func trimmed(_ code: String) -> String {
        var lines = code.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.trimmingWhitespace().isEmpty { lines.removeLast() }
        while let first = lines.first, first.trimmingWhitespace().isEmpty { lines.removeFirst() }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let s = self[...]
        guard let a = s.firstIndex(where: { !$0.isWhitespace }), let b = s.lastIndex(where: { !$0.isWhitespace }) else {
            return Substring("")
        }
        return Substring(s[a...b])
    }
}
