import Foundation
import NetIR
import Search
import Train

/// Rank 0's evaluator: one slot per device of every worker rank. The search's worker pool sees the slots as
/// its devices (so it keeps every slot busy with one child each); each job goes to the fastest free slot by
/// measured speed, not to the slot the pool named, so a slow worker is used last and never holds a generation.
/// Parents' weights are read from rank 0's run folder and sent with the job; the trained weights come back
/// and are written where the engine asked. Final test and refinement run on rank 0's own devices (`local`).
public final class RemoteEvaluator: PlacingEvaluator, @unchecked Sendable {
    public struct Slot: Sendable, Equatable {
        public var rank: Int
        public var device: Int
        /// The device as the worker names it (`cpu`, `opencl:0`).
        public var name: String
        public init(rank: Int, device: Int, name: String) { self.rank = rank; self.device = device; self.name = name }
    }

    public let slots: [Slot]
    let courier: Courier
    let local: any Evaluator
    let stats: RankStats
    private let lock = NSLock()
    private var scheduler: SlotScheduler
    private var waiting: [Int: (DispatchSemaphore, Box)] = [:]
    private var placements: [Int: Placement] = [:]

    final class Box: @unchecked Sendable { var header: ClusterMessage.ResultHeader?; var parts: [Data] = [] }

    init(courier: Courier, slots: [Slot], local: any Evaluator, stats: RankStats) {
        self.courier = courier; self.slots = slots; self.local = local; self.stats = stats
        scheduler = SlotScheduler(count: slots.count)
    }

    public var deviceNames: [String] { slots.map { "rank \($0.rank) \($0.name)" } }

    public func evaluate(_ job: EvaluationJob, device _: Int) throws(CandidateFailure) -> CandidateMetrics {
        // The pool runs at most one job per slot, so a slot is always free here.
        guard let index = lock.withLock({ scheduler.take() }) else { throw .backend("no free worker slot") }
        defer { lock.withLock { scheduler.release(index) } }
        let slot = slots[index]
        lock.withLock { placements[job.candidate] = Placement(rank: slot.rank, device: slot.name) }
        let parents = job.inheritFrom.compactMap { FileManager.default.contents(atPath: $0) }
        let letter = Letter(.job(.init(candidate: job.candidate, device: slot.device, graph: job.graph,
                                       keepWeights: job.weightsPath != nil)), parts: parents)
        let bytes: Data
        do { bytes = try letter.encoded() } catch { throw .backend("\(error)") }
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        lock.withLock { waiting[job.candidate] = (done, box) }
        stats.begin(slot: index)
        courier.send(bytes, to: slot.rank)
        done.wait()
        stats.end(slot: index)
        guard let header = box.header else { throw .backend("rank \(slot.rank) sent no result") }
        if let failure = header.failure { throw failure }
        guard let metrics = header.metrics else { throw .backend("rank \(slot.rank) sent neither metrics nor a failure") }
        if let path = job.weightsPath, let weights = box.parts.first {
            guard FileManager.default.createFile(atPath: path, contents: weights) else {
                throw .backend("could not write the weights from rank \(slot.rank) to \(path)")
            }
        }
        if let flops = try? job.graph.cost().flops, metrics.imagesPerSecond > 0 {
            let rate = Double(flops) * metrics.imagesPerSecond
            lock.withLock { scheduler.record(index, speed: rate) }
        }
        return metrics
    }

    public func placement(of candidate: Int) -> Placement? {
        lock.withLock { placements.removeValue(forKey: candidate) }
    }

    /// Called by the courier for a `result`; wakes the job's thread.
    func receive(_ header: ClusterMessage.ResultHeader, parts: [Data]) {
        guard let (done, box) = lock.withLock({ waiting.removeValue(forKey: header.candidate) }) else { return }
        box.header = header
        box.parts = parts
        done.signal()
    }

    public func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics {
        try local.test(graph, weightsPath: weightsPath, device: 0)
    }

    public func refine(_ graph: Graph, weightsPath: String, epochs: Int, savingTo: String, device: Int,
                       progress: (@Sendable (TrainingProgress) -> Void)?) throws(CandidateFailure) -> (CandidateMetrics, TestMetrics) {
        try local.refine(graph, weightsPath: weightsPath, epochs: epochs, savingTo: savingTo, device: 0, progress: progress)
    }
}
