import Dispatch

/// One worker per device. A job waits for a free device, then runs on that device's own serial queue, so
/// a device never trains two networks at once and the search's async tasks never block a thread. Waiting jobs
/// get a device lowest candidate first: with generations overlapped, a generation's last child must not queue
/// behind the next generation's, or the generation after them cannot be planned and the model idles.
public actor WorkerPool {
    let evaluator: any Evaluator
    private let queues: [DispatchQueue]
    private var free: [Int]
    private var waiting: [(priority: Int, continuation: CheckedContinuation<Int, Never>)] = []
    /// Seconds devices spent in evaluations that failed (a divergence ends a training midway, a timeout at its
    /// limit): training all the same, though no metrics carry it.
    public private(set) var failedSeconds = 0.0

    public init(evaluator: any Evaluator) {
        self.evaluator = evaluator
        let count = max(evaluator.deviceNames.count, 1)
        queues = (0..<count).map { DispatchQueue(label: "llmatic.worker.\($0)") }
        free = Array((0..<count).reversed())
    }

    public var deviceCount: Int { queues.count }

    public func evaluate(_ job: EvaluationJob) async -> Result<CandidateMetrics, CandidateFailure> {
        await evaluate(job, startingIf: nil) ?? .failure(.backend("not started"))
    }

    /// `evaluate`, or nil without training when `gate`, asked once a device is free, says the job may no longer
    /// start on it (the device is released at once).
    public func evaluate(_ job: EvaluationJob, startingIf gate: (@Sendable (_ device: Int) -> Bool)?) async
        -> Result<CandidateMetrics, CandidateFailure>? {
        let device = await acquire(priority: job.candidate)
        if let gate, !gate(device) {
            release(device)
            return nil
        }
        let evaluator = self.evaluator
        let (result, seconds) = await withCheckedContinuation {
            (c: CheckedContinuation<(Result<CandidateMetrics, CandidateFailure>, Double), Never>) in
            queues[device].async {
                let start = DispatchTime.now().uptimeNanoseconds
                let result: Result<CandidateMetrics, CandidateFailure>
                do throws(CandidateFailure) {
                    result = .success(try evaluator.evaluate(job, device: device))
                } catch {
                    result = .failure(error)
                }
                c.resume(returning: (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
        }
        if case .failure = result { failedSeconds += seconds }
        release(device)
        return result
    }

    /// Runs `body` on a free device's queue (for test-set evaluation of the best networks).
    public func onDevice<T: Sendable>(_ body: @escaping @Sendable (Int) -> T) async -> T {
        let device = await acquire(priority: Int.min)
        let value = await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            queues[device].async { c.resume(returning: body(device)) }
        }
        release(device)
        return value
    }

    /// `onDevice` for work that fails as a candidate does: its value, or the failure it threw.
    public func onDevice<T: Sendable>(catching body: @escaping @Sendable (Int) throws(CandidateFailure) -> T) async
        -> Result<T, CandidateFailure> {
        await onDevice { device -> Result<T, CandidateFailure> in
            do throws(CandidateFailure) { return .success(try body(device)) } catch { return .failure(error) }
        }
    }

    private func acquire(priority: Int) async -> Int {
        if let d = free.popLast() { return d }
        return await withCheckedContinuation { waiting.append((priority, $0)) }
    }

    private func release(_ device: Int) {
        guard let first = waiting.indices.min(by: { waiting[$0].priority < waiting[$1].priority }) else {
            free.append(device)
            return
        }
        waiting.remove(at: first).continuation.resume(returning: device)
    }
}
