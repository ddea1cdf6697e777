// How much memory one request (a data set, a training plan) may take, asked before anything is allocated, so
// a bad size is a one-line error instead of a machine that swaps, an OOM kill or a failed allocation trap.
import Foundation

public enum MemoryBudget {
    /// The most one request may use: the smaller of what the system reports available right now and three
    /// quarters of the machine (or of the cgroup's `memory.max` when the process runs under one).
    /// `LLMATIC_MEMORY_LIMIT` (bytes, or with a K, M or G suffix) lowers it, for shared machines and tests.
    public static var allowance: Int {
        var bytes = installedBytes / 4 * 3
        if let available = availableBytes { bytes = min(bytes, available) }
        if let text = ProcessInfo.processInfo.environment["LLMATIC_MEMORY_LIMIT"], let limit = parseBytes(text) {
            bytes = min(bytes, limit)
        }
        return bytes
    }

    /// Nil when `bytes` fits the allowance, else a sentence saying what needs how much (for an error message).
    public static func refusal(_ bytes: Int?, for what: String) -> String? {
        let limit = allowance
        guard let bytes else { return "\(what) needs more memory than a 64-bit count can hold" }
        if bytes <= limit { return nil }
        return "\(what) needs \(format(bytes)) of memory, more than the \(format(limit)) this machine can give it"
    }

    /// Physical memory, or the cgroup v2 limit when that is lower.
    public static let installedBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        var bytes = pages > 0 && size > 0 ? pages * size : Int.max
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
            bytes = min(bytes, limit)
        }
        return bytes
    }()

    /// `MemAvailable` of /proc/meminfo (memory the kernel can hand out without swapping); nil where unknown.
    static var availableBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib.multipliedReportingOverflow(by: 1024).overflow ? nil : kib * 1024
        }
        return nil
    }

    /// `123`, `64K`, `512M`, `2G` (powers of 1024); nil for anything else.
    static func parseBytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = text.uppercased()
        var scale = 1
        if let last = digits.last, let unit = units[last] { scale = unit; digits.removeLast() }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// `1.5 GB`, `300 MB`, `12 KB` (decimal units, as `free -h` and users think of them).
    public static func format(_ bytes: Int) -> String {
        let b = Double(bytes)
        if b >= 1e12 { return String(format: "%.0f TB", b / 1e12) }
        if b >= 1e9 { return String(format: "%.3g GB", b / 1e9) }
        if b >= 1e6 { return String(format: "%.3g MB", b / 1e6) }
        return String(format: "%.3g KB", b / 1e3)
    }

    /// The sum of `terms`, each the product of its factors; nil when any step overflows.
    public static func bytes(_ terms: [[Int]]) -> Int? {
        var total = 0
        for factors in terms {
            var product = 1
            for f in factors {
                guard f >= 0 else { return nil }
                let (p, overflow) = product.multipliedReportingOverflow(by: f)
                guard !overflow else { return nil }
                product = p
            }
            let (s, overflow) = total.addingReportingOverflow(product)
            guard !overflow else { return nil }
            total = s
        }
        return total
    }
}
