import Foundation
import Search

/// Rank 0's side of the job: starts MPI, hands every worker rank the run's configuration (`announce`), waits
/// until each reports its devices (`connect`), and then routes results to the `RemoteEvaluator`. `stop()`
/// releases the workers.
public final class Coordinator: @unchecked Sendable {
    public let environment: MPIEnvironment
    private var courier: Courier!
    private let lock = NSLock()
    private var ready: [Int: [String]] = [:]
    private var refusal: ClusterError?
    private let arrived = DispatchSemaphore(value: 0)
    private var evaluator: RemoteEvaluator?
    let stats = RankStats()

    public init(_ environment: MPIEnvironment) throws(ClusterError) {
        self.environment = environment
        courier = try Courier(environment) { [weak self] source, bytes in self?.receive(source, bytes) }
        stats.mark("mpi-up")
        guard courier.rank == 0 else { throw .mpi("the coordinator must be rank 0, not \(courier.rank)") }
    }

    public var workerRanks: ClosedRange<Int> { 1...(courier.size - 1) }

    /// Sends `config` to every worker, which starts loading its data and opening its devices. Call it as soon
    /// as the configuration is known: the workers then load while rank 0 loads its own data, not after.
    public func announce(_ config: SearchConfig) throws(ClusterError) {
        let hello = try Letter(.hello(config)).encoded()
        for rank in workerRanks { courier.send(hello, to: rank) }
        stats.mark("hello-sent")
    }

    /// Waits until every announced worker is ready and returns the evaluator over all their devices.
    public func connect(local: any Evaluator) throws(ClusterError) -> RemoteEvaluator {
        for _ in workerRanks {
            arrived.wait()
            if let refusal = lock.withLock({ refusal }) { throw refusal }
        }
        let slots = lock.withLock {
            workerRanks.flatMap { rank in
                (ready[rank] ?? []).enumerated().map { RemoteEvaluator.Slot(rank: rank, device: $0.offset, name: $0.element) }
            }
        }
        guard !slots.isEmpty else { throw .mpi("no worker rank reported a device") }
        stats.mark("ready")
        let remote = RemoteEvaluator(courier: courier, slots: slots, local: local, stats: stats)
        lock.withLock { evaluator = remote }
        return remote
    }

    /// Tells every worker the search is over, then finalises MPI.
    public func stop() {
        stats.report(rank: 0)
        if let bye = try? Letter(.stop).encoded() {
            for rank in workerRanks { courier.send(bye, to: rank) }
        }
        courier.close()
    }

    private func receive(_ source: Int, _ bytes: Data) {
        let letter: Letter
        do { letter = try Letter(decoding: bytes) } catch {
            FileHandle.standardError.write(Data("warning: rank 0 dropped a message from rank \(source): \(error)\n".utf8))
            return
        }
        switch letter.message {
        case .ready(let devices):
            lock.withLock { ready[source] = devices }
            arrived.signal()
        case .unavailable(let reason):
            lock.withLock { refusal = .worker(rank: source, reason) }
            arrived.signal()
        case .result(let header):
            lock.withLock { evaluator }?.receive(header, parts: letter.parts)
        case .hello, .job, .stop:
            FileHandle.standardError.write(Data("warning: rank 0 got an unexpected message from rank \(source)\n".utf8))
        }
    }
}
