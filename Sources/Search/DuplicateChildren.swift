import Foundation
import NetCode
import NetIR

/// The `duplicate` line of events.jsonl: a child whose network repeats one already made in this run (archived,
/// trained, in flight, or failed in training). It is never trained. Duplicates are neither evaluations nor
/// failures: they do not use the `--evaluations` budget and do not touch the archives, so the search's
/// counters and archives are exactly those of the children that trained. They count in the yield (the model
/// spent time on them) and are listed in the report. A language model's duplicate is replaced, in the same
/// candidate slot, by a rule-mutator child; a rule child that repeats is retried with another seed.
public struct DuplicateRecord: Codable, Sendable {
    public var type = "duplicate"
    /// The candidate slot it was made for.
    public var id: Int
    public var generation: Int
    public var operation: Variation
    public var parents: [Int]
    /// The candidate that first had this network.
    public var duplicateOf: Int
    public var structure: String
    /// `model` or `rules`.
    public var by: String
    public var llm: LLMUsage?
    public var time: String

    /// Reads every duplicate line of a log (other lines are skipped).
    public static func all(in path: String) -> [DuplicateRecord] {
        EventLog.read(DuplicateRecord.self, from: path).filter { $0.type == "duplicate" }
    }
}

/// Structures of every network this run has checked and sent to training, with the candidate that had it
/// first. Rebuilt on `--resume` from events.jsonl (the `structure` of each candidate line; lines written
/// before structures were logged are parsed again from their net.py).
final class StructureRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var owners: [String: Int] = [:]

    init() {}

    init(directory: RunDirectory, checker: CandidateChecker) {
        for event in EventLog.read(RunEvent.self, from: directory.eventsPath) {
            guard case .candidate(let r) = event, r.cost != nil else { continue }
            var structure = r.structure
            if structure == nil, let source = directory.read(directory.candidateFile(r.id, .source)),
               case .success(let checked) = checker.check(source, file: "net.py") {
                structure = checked.graph.structuralHash
            }
            if let structure, owners[structure] == nil { owners[structure] = r.id }
        }
    }

    var count: Int { lock.withLock { owners.count } }

    /// Whether a network of this structure was already made (registers nothing).
    func contains(_ structure: String) -> Bool { lock.withLock { owners[structure] != nil } }

    /// The earlier owner of `structure`, or nil after registering `id` as its owner.
    func claim(_ structure: String, by id: Int) -> Int? {
        lock.withLock {
            if let owner = owners[structure] { return owner }
            owners[structure] = id
            return nil
        }
    }
}

/// Children decide whether they are duplicates in candidate order, whatever order their sources arrive in,
/// so the same seed keeps the same candidates (the lower id of two identical siblings is the one trained).
/// Every child of `order` must call `pass` exactly once; `after` chains a generation behind the previous one.
actor CandidateTurns {
    private let order: [Int]
    private var passed: Set<Int> = []
    private var waiting: [Int: [CheckedContinuation<Void, Never>]] = [:]
    private let after: CandidateTurns?

    init(order: [Int], after: CandidateTurns? = nil) { self.order = order.sorted(); self.after = after }

    private func ready(_ id: Int) -> Bool {
        order.prefix { $0 < id }.allSatisfy { passed.contains($0) }
    }

    func wait(for id: Int) async {
        if let after { await after.waitForAll() }
        if ready(id) { return }
        await withCheckedContinuation { waiting[id, default: []].append($0) }
    }

    func pass(_ id: Int) {
        passed.insert(id)
        for (other, continuations) in waiting where ready(other) {
            waiting[other] = nil
            continuations.forEach { $0.resume() }
        }
        if passed.count == order.count { allWaiting.forEach { $0.resume() }; allWaiting = [] }
    }

    private var allWaiting: [CheckedContinuation<Void, Never>] = []

    func waitForAll() async {
        if passed.count >= order.count { return }
        await withCheckedContinuation { allWaiting.append($0) }
    }
}
