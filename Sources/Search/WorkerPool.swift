import Dispatch

/// One worker per device. A job waits for a free device, then runs on that device's own serial queue, so
/// a device never trains two networks at once and the search's async tasks never block a thread.
public actor WorkerPool {
    let evaluator: any Evaluator
    private let queues: [DispatchQueue]
    private var free: [Int]
    private var waiting: [CheckedContinuation<Int, Never>] = []

    public init(evaluator: any Evaluator) {
        self.evaluator = evaluator
        let count = max(evaluator.deviceNames.count, 1)
        queues = (0..<count).map { DispatchQueue(label: "llmatic.worker.\($0)") }
        free = Array((0..<count).reversed())
    }

    public var deviceCount: Int { queues.count }

    public func evaluate(_ job: EvaluationJob) async -> Result<CandidateMetrics, CandidateFailure> {
        let device = await acquire()
        let evaluator = self.evaluator
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<CandidateMetrics, CandidateFailure>, Never>) in
            queues[device].async {
                do throws(CandidateFailure) {
                    c.resume(returning: .success(try evaluator.evaluate(job, device: device)))
                } catch {
                    c.resume(returning: .failure(error))
                }
            }
        }
        release(device)
        return result
    }

    /// Runs `body` on a free device's queue (for test-set evaluation of the best networks).
    public func onDevice<T: Sendable>(_ body: @escaping @Sendable (Int) -> T) async -> T {
        let device = await acquire()
        let value = await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            queues[device].async { c.resume(returning: body(device)) }
        }
        release(device)
        return value
    }

    private func acquire() async -> Int {
        if let d = free.popLast() { return d }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ device: Int) {
        if waiting.isEmpty { free.append(device) } else { waiting.removeFirst().resume(returning: device) }
    }
}
