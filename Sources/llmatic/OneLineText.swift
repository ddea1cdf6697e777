// Errors end as one line on stderr, and they quote what the user gave: names from a network file, paths,
// option values. Quoted text may hold characters that break that line or lie about it on a terminal: line
// and paragraph separators, control characters, and bidirectional overrides that reorder what is shown
// (an identifier `b<U+202E>da` displays as `bad`). Such characters are written as `\u{...}` escapes.
extension String {
    /// The text with every control, line-breaking, bidirectional-formatting and other invisible format
    /// character written as a Swift-style `\u{XXXX}` escape, so it prints as exactly one honest line.
    var escapedForOneLine: String {
        var out = ""
        out.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
