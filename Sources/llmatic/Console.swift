// Where output goes: results on stdout, errors on stderr, live progress redrawn in place only on a terminal.
import Foundation

enum Console {
    /// True when stdout is a terminal: progress is redrawn with `\r`; otherwise it is logged as plain lines.
    static let isTerminal = isatty(1) != 0

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A line that replaces the previous live line (terminal only).
    static func live(_ text: String) {
        FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    /// Ends a live line so the next output starts on a fresh line.
    static func endLive() {
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// print() goes through stdio's buffer (full buffering into a pipe), `live` straight to the descriptor:
    /// flush so log lines appear as they happen and never interleave out of order.
    static func flush() { fflush(nil) }

    /// `1:05`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "-:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60) : String(format: "%ld:%02ld", s / 60, s % 60)
    }

    /// `1.23 M`, `456.7 k`: counts for people.
    static func count(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format: "%.2f G", v / 1e9) }
        if v >= 1e6 { return String(format: "%.2f M", v / 1e6) }
        if v >= 1e4 { return String(format: "%.1f k", v / 1e3) }
        return String(value)
    }
}
