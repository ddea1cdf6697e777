import Foundation

/// Where one rank's time went, for `scripts/bench-mpi` and docs/mpi.md's "Where the time goes": CPU seconds
/// (getrusage of the whole process, every thread), and per slot the seconds it held a child and the gaps
/// between one child's end and the next one's start. Counted from the clocks, never asserted on: with
/// `LLMATIC_MPI_STATS=1` in the environment (`mpirun -x LLMATIC_MPI_STATS=1`) each rank prints one
/// `mpi-stats rank=R key=value ...` line to stderr as it ends.
public final class RankStats: @unchecked Sendable {
    public static let variable = "LLMATIC_MPI_STATS"
    public static var enabled: Bool { ProcessInfo.processInfo.environment[variable].map { $0 != "0" && !$0.isEmpty } ?? false }

    private let lock = NSLock()
    private let clock: @Sendable () -> Double
    private let started: Double
    private var marks: [String: Double] = [:]
    private var jobs = 0
    private var busy = 0.0
    private var idle = 0.0
    private var longestIdle = 0.0
    /// Seconds since the start when the last child ended.
    private var lastEnd = 0.0
    /// Per slot: when its last child ended (nil before the first and while one is held).
    private var freeSince: [Int: Double] = [:]
    private var takenAt: [Int: Double] = [:]

    /// `clock`: seconds on a monotonic clock (tests give their own).
    public init(clock: @escaping @Sendable () -> Double = RankStats.now) {
        self.clock = clock
        started = clock()
    }

    /// Seconds on a monotonic clock.
    public static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Records, once, seconds since this rank's start for a named moment (`ready`, `first-job`).
    public func mark(_ name: String) {
        let t = clock() - started
        lock.withLock { if marks[name] == nil { marks[name] = t } }
    }

    /// A child starts on `slot`: the gap since the slot's previous child ended counts as idle.
    public func begin(slot: Int) {
        let t = clock()
        lock.withLock {
            if let free = freeSince.removeValue(forKey: slot) {
                idle += t - free
                longestIdle = max(longestIdle, t - free)
            }
            takenAt[slot] = t
        }
        mark("first-job")
    }

    /// The child on `slot` is done (its result sent, or received on rank 0).
    public func end(slot: Int) {
        let t = clock()
        lock.withLock {
            guard let start = takenAt.removeValue(forKey: slot) else { return }
            jobs += 1
            busy += t - start
            freeSince[slot] = t
            lastEnd = t - started
        }
    }

    /// User and system CPU seconds of this process so far.
    public static func cpuSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return (0, 0) }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }

    /// `mpi-stats rank=R wall=.. cpu=.. user=.. sys=.. jobs=.. busy=.. idle=.. longest-idle=.. <marks>`.
    public func line(rank: Int) -> String {
        let cpu = Self.cpuSeconds()
        let wall = clock() - started
        return lock.withLock {
            var fields = [("wall", wall), ("cpu", cpu.user + cpu.system), ("user", cpu.user), ("sys", cpu.system),
                          ("busy", busy), ("idle", idle), ("longest-idle", longestIdle), ("last-end", lastEnd)]
            fields += marks.sorted { $0.value < $1.value }.map { ($0.key, $0.value) }
            return "mpi-stats rank=\(rank) jobs=\(jobs) " + fields.map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " ")
        }
    }

    /// Prints `line` to stderr when `LLMATIC_MPI_STATS` asks for it.
    public func report(rank: Int) {
        guard Self.enabled else { return }
        FileHandle.standardError.write(Data((line(rank: rank) + "\n").utf8))
    }
}
