// `mpirun -np N llmatic search ...` (docs/mpi.md): rank 0 runs the search with the worker ranks' devices as its
// worker pool; every other rank serves children on the devices its own `--device` lists.
import Cluster
import Foundation
import Search

enum ClusterSearch {
    /// Rank 0: starts MPI; the caller connects it once the configuration is known and stops it at the end.
    static func coordinator(_ environment: MPIEnvironment) throws -> Coordinator {
        do { return try Coordinator(environment) } catch { throw Failure("\(error)") }
    }

    /// Ranks > 0: train what rank 0 sends until it says stop. The run's configuration comes from rank 0 (a
    /// resumed run's is in its folder, which only rank 0 has); data and devices come from this rank's own
    /// machine and options (`--device`, `--threads`).
    static func serve(_ args: ParsedArguments, _ environment: MPIEnvironment) throws -> Int32 {
        _ = try SearchSetup.devices(args)
        let worker: ClusterWorker
        do {
            worker = try ClusterWorker(environment) { config in try SearchSetup.trainerEvaluator(config, args).0 }
        } catch {
            throw Failure("\(error)")
        }
        worker.serve()
        return 0
    }
}
