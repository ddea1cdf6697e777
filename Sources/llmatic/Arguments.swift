// The command-line parser: `--name value`, `--name=value`, boolean `--name` (or `--name=true|false`),
// positionals, `--` to end options, `-h`/`--help`. Errors name the option and what would have been valid.

/// One option a command accepts.
struct OptionSpec {
    /// Without the dashes: `epochs`.
    let name: String
    /// Placeholder of the value in help (`N`, `FILE`); nil for a boolean flag.
    let value: String?
    let help: String
    /// The accepted values when they form a closed set; listed in help and in errors.
    let choices: [String]?
    /// Shown in help as `(default: ...)`.
    let defaultText: String?

    init(_ name: String, _ value: String? = nil, _ help: String, choices: [String]? = nil, default defaultText: String? = nil) {
        self.name = name; self.value = value; self.help = help; self.choices = choices; self.defaultText = defaultText
    }

    var isFlag: Bool { value == nil }
}

/// A mistake in how a command was called; printed with a pointer to `--help`, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// What the parser found.
struct ParsedArguments {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    /// Switches given as `--name=false`, so a switch that defaults to on can be turned off.
    var switchedOff: Set<String> = []
    var positionals: [String] = []
    var helpRequested = false

    func string(_ name: String) -> String? { values[name] }

    func flag(_ name: String, default fallback: Bool = false) -> Bool {
        flags.contains(name) ? true : switchedOff.contains(name) ? false : fallback
    }

    func int(_ name: String, default fallback: Int, minimum: Int = Int.min, maximum: Int = Int.max) throws(UsageError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let v = Int(text) else { throw UsageError("invalid value '\(text)' for --\(name): expected a whole number") }
        guard v >= minimum else { throw UsageError("invalid value '\(text)' for --\(name): must be at least \(minimum)") }
        guard v <= maximum else { throw UsageError("invalid value '\(text)' for --\(name): must be at most \(maximum)") }
        return v
    }

    func optionalInt(_ name: String, minimum: Int = Int.min, maximum: Int = Int.max) throws(UsageError) -> Int? {
        values[name] == nil ? nil : try int(name, default: 0, minimum: minimum, maximum: maximum)
    }

    func uint64(_ name: String, default fallback: UInt64) throws(UsageError) -> UInt64 {
        guard let text = values[name] else { return fallback }
        guard let v = UInt64(text) else { throw UsageError("invalid value '\(text)' for --\(name): expected a non-negative whole number") }
        return v
    }

    func double(_ name: String, default fallback: Double, range: ClosedRange<Double>? = nil) throws(UsageError) -> Double {
        guard let text = values[name] else { return fallback }
        guard let v = Double(text), v.isFinite else { throw UsageError("invalid value '\(text)' for --\(name): expected a number") }
        if let range, !range.contains(v) {
            throw UsageError("invalid value '\(text)' for --\(name): must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }
}

enum ArgumentParser {
    /// Parses `arguments` (without the program and command names) against `options`. Accepts at most
    /// `maxPositionals` positional arguments.
    static func parse(_ arguments: [String], options: [OptionSpec], maxPositionals: Int = 0) throws(UsageError) -> ParsedArguments {
        var result = ParsedArguments()
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" || Double(arg) != nil {
                guard result.positionals.count < maxPositionals else {
                    throw UsageError(maxPositionals == 0 ? "unexpected argument '\(arg)' (this command takes only options)"
                                                         : "unexpected extra argument '\(arg)'")
                }
                result.positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            if arg == "-h" || arg == "--help" { result.helpRequested = true; continue }
            guard arg.hasPrefix("--") else { throw UsageError("unknown option '\(arg)' (options are spelled --name)") }
            var name = String(arg.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = byName[name] else {
                throw UsageError("unknown option '--\(name)'" + suggestion(for: name, among: options.map(\.name)))
            }
            guard result.values[name] == nil && !result.flags.contains(name) && !result.switchedOff.contains(name) else {
                throw UsageError("option --\(name) is given more than once")
            }
            if spec.isFlag {
                switch inline?.lowercased() {
                case nil, "true", "yes", "1": result.flags.insert(name)
                case "false", "no", "0": result.switchedOff.insert(name)
                default: throw UsageError("invalid value '\(inline ?? "")' for --\(name): it is a switch; use --\(name) or --\(name)=false")
                }
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else if i < arguments.count, !arguments[i].hasPrefix("--") {
                value = arguments[i]
                i += 1
            } else {
                throw UsageError("option --\(name) needs a value (\(spec.value ?? "VALUE"))" + choiceList(spec))
            }
            if let choices = spec.choices, !choices.contains(value) {
                throw UsageError("invalid value '\(value)' for --\(name)" + choiceList(spec))
            }
            result.values[name] = value
        }
        return result
    }

    static func choiceList(_ spec: OptionSpec) -> String {
        spec.choices.map { "; valid values: \($0.joined(separator: ", "))" } ?? ""
    }

    /// ` (did you mean '--epochs'?)` for a near miss, else a list of the valid options.
    static func suggestion(for name: String, among names: [String], prefix: String = "--", kind: String = "options") -> String {
        let scored = names.map { ($0, editDistance(name, $0)) }.min { $0.1 < $1.1 }
        if let (best, distance) = scored, distance <= max(2, best.count / 3) { return " (did you mean '\(prefix)\(best)'?)" }
        return "; valid \(kind): " + names.map { prefix + $0 }.joined(separator: ", ")
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }

    /// The help text of a command: usage line, description, options with values, defaults and choices.
    static func help(usage: String, summary: String, options: [OptionSpec], notes: String = "") -> String {
        var lines = ["usage: \(usage)", "", summary, "", "options:"]
        let all = options + [OptionSpec("help", nil, "show this help")]
        let left = all.map { "  --\($0.name)" + ($0.value.map { " \($0)" } ?? "") }
        let width = min((left.map(\.count).max() ?? 0) + 2, 34)
        for (spec, l) in zip(all, left) {
            var text = spec.help
            if let choices = spec.choices { text += " [\(choices.joined(separator: "|"))]" }
            if let d = spec.defaultText { text += " (default: \(d))" }
            let pad = l.count < width ? String(repeating: " ", count: width - l.count) : "\n" + String(repeating: " ", count: width)
            lines.append(l + pad + text)
        }
        if !notes.isEmpty { lines += ["", notes] }
        return lines.joined(separator: "\n")
    }
}
