// `--threads T` of train and search: more threads than cores only makes the CPU backend slower (its pool and
// BLAS would oversubscribe the cores) and, at absurd counts, starves the whole machine of processes. So a
// count above the cores is capped at the core count with a warning on stderr, not refused: a command line
// written for a bigger machine still runs.
import CPUBackend

extension ParsedArguments {
    /// The thread count to use: `--threads` (at least 1, at most the online cores), default all cores, or
    /// `defaultThreads` where the caller shares the cores with another process.
    func threads(default defaultThreads: Int? = nil) throws(UsageError) -> Int {
        let cores = CPUBackend.defaultThreads
        let requested = try int("threads", default: min(cores, defaultThreads ?? cores), minimum: 1)
        guard requested > cores else { return requested }
        Console.error("warning: --threads \(requested) is more than the \(cores) cores of this machine; using \(cores)")
        return cores
    }
}
