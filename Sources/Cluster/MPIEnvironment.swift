import CMPI
import Foundation

/// Whether this process was started by an MPI launcher (mpirun, srun), read from the environment before any
/// MPI library is touched: a plain run never loads one.
public struct MPIEnvironment: Sendable, Equatable {
    /// Variables the launchers set: Open MPI's mpirun, Slurm's srun with PMI-2 or PMIx.
    public static let sizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"]
    public static let rankVariables = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]
    /// The library to dlopen unless `LLMATIC_MPI_LIBRARY` names another.
    public static let defaultLibrary = "libmpi.so.40"

    /// Ranks in the job (from the launcher's variables).
    public var size: Int
    /// This process's rank as the launcher announced it (MPI confirms it after initialisation).
    public var rank: Int
    public var library: String

    /// nil when not launched by MPI, or launched as a single process (which runs the plain search).
    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> MPIEnvironment? {
        guard let rank = rankVariables.lazy.compactMap({ environment[$0].flatMap(Int.init) }).first else { return nil }
        let size = sizeVariables.lazy.compactMap({ environment[$0].flatMap(Int.init) }).first ?? 1
        guard size > 1 else { return nil }
        return MPIEnvironment(size: size, rank: rank, library: environment["LLMATIC_MPI_LIBRARY"] ?? defaultLibrary)
    }

    /// Ends this process with its launcher: after `kill -9` of mpirun no rank may go on writing to the run folder
    /// (a resume may already have started). Linux only; elsewhere the ranks end when MPI notices.
    public func endWithLauncher() { _ = cmpi_end_with_launcher() }
}
