/// Why the cluster layer cannot go on: the MPI library, a malformed message, a worker that cannot start.
public enum ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Loading or initialising MPI failed (the library, a missing symbol, an MPI call's error code).
    case mpi(String)
    /// A message that is not an envelope we wrote (names the byte offset or field).
    case malformed(String)
    /// A worker rank reported that it cannot serve (its data or devices failed).
    case worker(rank: Int, String)

    public var description: String {
        switch self {
        case .mpi(let m): return "MPI: \(m)"
        case .malformed(let m): return "cluster message: \(m)"
        case .worker(let rank, let m): return "worker rank \(rank): \(m)"
        }
    }
}
