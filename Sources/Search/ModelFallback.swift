import Foundation

/// Keeps a slow or dead language-model endpoint from stalling the search: each child's exchange has a deadline,
/// and after `threshold` consecutive transport failures (refused or dropped connections, timeouts, 5xx) the
/// breaker opens for `coolDown` seconds, during which children go straight to the rule mutator. The first
/// child after the cool-down probes the endpoint again; a success closes the breaker. When the search's time
/// is up, `close` cuts every exchange still waiting and refuses new ones: a late reply would only hold the
/// search past its share (measured: model runs whose explore share ended at 4:40 waited for replies until
/// 6:15-10:05, leaving the final network 78-308 s instead of ~350 s).
final class ModelFallback: @unchecked Sendable {
    let deadline: Double
    let threshold: Int
    let coolDown: Double
    private let lock = NSLock()
    private var consecutiveFailures = 0
    private var openUntil: Date?
    private var closedReason: String?
    /// Exchanges waiting in `withDeadline`, each ended by calling its entry.
    private var cuts: [Int: @Sendable () -> Void] = [:]
    private var nextCut = 0

    init(deadline: Double, threshold: Int = 3, coolDown: Double = 60) {
        self.deadline = deadline; self.threshold = threshold; self.coolDown = coolDown
    }

    /// Why the model should not be asked now, or nil.
    func refusal(now: Date = Date()) -> String? {
        lock.withLock {
            if let closedReason { return closedReason }
            guard let until = openUntil else { return nil }
            if now >= until { openUntil = nil; return nil }
            return "endpoint unavailable after \(consecutiveFailures) failed exchanges; rules until it is probed again"
        }
    }

    func record(_ outcome: Result<MutationOutput, MutatorError>?) {
        lock.withLock {
            switch outcome {
            case .success, .failure(.noCode), .failure(.badReply), .failure(.invalidParent), .failure(.notApplicable):
                consecutiveFailures = 0
            case .failure(.http(let status, _)) where status < 500 && status != 429:
                consecutiveFailures = 0
            case .failure, nil:
                consecutiveFailures += 1
                if consecutiveFailures >= threshold { openUntil = Date().addingTimeInterval(coolDown) }
            }
        }
    }

    /// Why no exchange may start or finish any more (`close`), or nil.
    var closed: String? { lock.withLock { closedReason } }

    /// Ends every exchange waiting now (their `withDeadline` returns nil) and makes `refusal` give `reason` from
    /// now on. Returns how many exchanges were cut.
    @discardableResult
    func close(_ reason: String) -> Int {
        let waiting = lock.withLock { () -> [@Sendable () -> Void] in
            closedReason = reason
            defer { cuts = [:] }
            return Array(cuts.values)
        }
        waiting.forEach { $0() }
        return waiting.count
    }

    /// `body`'s result, or nil when it takes longer than `deadline` or the fallback is closed meanwhile; the late
    /// exchange is cancelled and its result dropped.
    func withDeadline(_ body: @escaping @Sendable () async -> Result<MutationOutput, MutatorError>) async
        -> Result<MutationOutput, MutatorError>? {
        let work = Task { await body() }
        let once = Once()
        let seconds = deadline
        let id = lock.withLock { nextCut += 1; return nextCut }
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<MutationOutput, MutatorError>?, Never>) in
            let cut: @Sendable () -> Void = { if once.claim() { work.cancel(); c.resume(returning: nil) } }
            let open = lock.withLock { () -> Bool in
                guard closedReason == nil else { return false }
                cuts[id] = cut
                return true
            }
            guard open else { return cut() }
            Task {
                let r = await work.value
                if once.claim() { c.resume(returning: r) }
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
                cut()
            }
        }
        lock.withLock { cuts[id] = nil }
        return result
    }
}

/// True for the first caller only.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func claim() -> Bool { lock.withLock { defer { done = true }; return !done } }
}
