import Foundation
import Search

/// A worker rank (> 0): waits for rank 0's configuration, builds its local evaluator (one slot per local
/// device), then trains every child it is sent on the named device's own queue and sends back the metrics
/// and trained weights, or the typed failure; a failed child never stops the worker. Parents' weights arrive
/// in the job and live in a private temporary folder, so workers need no shared disk.
public final class ClusterWorker: @unchecked Sendable {
    /// Makes this rank's evaluator from the run's configuration (loads its data, opens its devices).
    public typealias Setup = @Sendable (SearchConfig) throws -> any Evaluator

    private var courier: Courier!
    private let setup: Setup
    private let lock = NSLock()
    private var evaluator: (any Evaluator)?
    private var queues: [DispatchQueue] = []
    private let group = DispatchGroup()
    private let stopped = DispatchSemaphore(value: 0)
    private let scratch: URL
    private let stats = RankStats()

    public init(_ environment: MPIEnvironment, setup: @escaping Setup) throws(ClusterError) {
        self.setup = setup
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llmatic-mpi-\(getpid())")
        courier = try Courier(environment) { [weak self] source, bytes in self?.receive(source, bytes) }
        stats.mark("mpi-up")
    }

    /// Serves until rank 0 says stop; returns after the last result is sent and MPI is finalised.
    public func serve() {
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stopped.wait()
        group.wait()
        stats.report(rank: courier.rank)
        courier.close()
        try? FileManager.default.removeItem(at: scratch)
    }

    private func receive(_ source: Int, _ bytes: Data) {
        let letter: Letter
        do { letter = try Letter(decoding: bytes) } catch {
            report("dropped a message from rank \(source): \(error)")
            return
        }
        switch letter.message {
        case .hello(let config):
            stats.mark("hello")
            // Data loading takes seconds: off the courier thread.
            group.enter()
            DispatchQueue.global().async { [self] in
                defer { group.leave() }
                do {
                    let e = try setup(config)
                    lock.withLock {
                        evaluator = e
                        queues = e.deviceNames.indices.map { DispatchQueue(label: "llmatic.mpi.device.\($0)") }
                    }
                    stats.mark("ready")
                    send(.ready(devices: e.deviceNames))
                } catch {
                    send(.unavailable("\(error)"))
                }
            }
        case .job(let job):
            guard let (evaluator, queue) = lock.withLock({ () -> ((any Evaluator), DispatchQueue)? in
                guard let e = evaluator, queues.indices.contains(job.device) else { return nil }
                return (e, queues[job.device])
            }) else {
                send(.result(.init(candidate: job.candidate, device: job.device, metrics: nil,
                                   failure: .backend("rank \(courier.rank) has no device \(job.device)"))))
                return
            }
            group.enter()
            queue.async { [self] in
                defer { group.leave() }
                train(job, parents: letter.parts, evaluator: evaluator)
            }
        case .stop:
            stopped.signal()
        case .ready, .unavailable, .result:
            report("unexpected message from rank \(source)")
        }
    }

    private func train(_ job: ClusterMessage.JobHeader, parents: [Data], evaluator: any Evaluator) {
        stats.begin(slot: job.device)
        defer { stats.end(slot: job.device) }
        let folder = scratch.appendingPathComponent("c\(job.candidate)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var inherit: [String] = []
        var weights: String?
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (i, p) in parents.enumerated() {
                let path = folder.appendingPathComponent("parent\(i).safetensors").path
                try p.write(to: URL(fileURLWithPath: path))
                inherit.append(path)
            }
            if job.keepWeights { weights = folder.appendingPathComponent("child.safetensors").path }
        } catch {
            send(.result(.init(candidate: job.candidate, device: job.device, metrics: nil,
                               failure: .backend("rank \(courier.rank): scratch folder: \(error)"))))
            return
        }
        let request = EvaluationJob(candidate: job.candidate, graph: job.graph, inheritFrom: inherit, weightsPath: weights)
        do throws(CandidateFailure) {
            let metrics = try evaluator.evaluate(request, device: job.device)
            let trained = weights.flatMap { FileManager.default.contents(atPath: $0) }
            send(.result(.init(candidate: job.candidate, device: job.device, metrics: metrics, failure: nil)),
                 parts: trained.map { [$0] } ?? [])
        } catch {
            send(.result(.init(candidate: job.candidate, device: job.device, metrics: nil, failure: error)))
        }
    }

    private func send(_ message: ClusterMessage, parts: [Data] = []) {
        do { courier.send(try Letter(message, parts: parts).encoded(), to: 0) } catch {
            report("\(error)")
        }
    }

    private func report(_ message: String) {
        FileHandle.standardError.write(Data("warning: MPI rank \(courier.rank): \(message)\n".utf8))
    }
}
