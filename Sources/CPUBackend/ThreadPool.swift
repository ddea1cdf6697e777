#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CVectorKernels

/// A parallel region body: `(worker, workers)`. Built once at plan load and replayed every step.
typealias ParallelTask = (Int, Int) -> Void

/// A small persistent pool: the calling thread is worker 0, `threads - 1` pthreads are the others.
///
/// Dispatch is a generation counter bump that spinning workers see within nanoseconds; a worker that has seen
/// no work for `spinNanoseconds` blocks on a condition variable, so an idle executor costs no CPU. The caller
/// runs its share, then spins until the others are done (regions are short and balanced). Measured on the
/// 2-core EPYC: a region with empty bodies costs ~1 µs when the worker is spinning, ~30-60 µs when it must be
/// woken from the condition variable (see Perf `pool.dispatch`).
final class ThreadPool: @unchecked Sendable {
    /// How long an idle worker spins before blocking. Covers the serial stretches inside a training step.
    static let spinNanoseconds: UInt64 = 2_000_000

    private let core: PoolCore
    private var handles: [pthread_t] = []

    init(threads: Int) {
        core = PoolCore()
        for index in 1..<max(1, threads) {
            // Workers hold the core, never the pool: the pool's deinit stops and joins them.
            let context = Unmanaged.passRetained(WorkerContext(core: core, index: index)).toOpaque()
            var handle = pthread_t()
            if pthread_create(&handle, nil, { raw in
                guard let raw else { return nil }
                let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
                _ = cvk_flush_denormals_begin()   // for the worker's lifetime: it only runs training steps' parts
                context.core.workerLoop(context.index)
                return nil
            }, context) == 0 {
                handles.append(handle)
            } else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
            }
        }
        core.workers = handles.count + 1
    }

    /// Workers actually running (thread creation can fail; the pool then degrades gracefully).
    var workers: Int { core.workers }

    /// Runs `body(worker, workers)` on every worker, the caller included, and returns when all are done.
    func run(_ body: ParallelTask) { core.run(body) }

    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    deinit {
        core.stop()
        for handle in handles { pthread_join(handle, nil) }
    }
}

/// The state the caller and the workers share.
private final class PoolCore: @unchecked Sendable {
    var workers = 1
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    /// Atomic although it only ever holds `workers`: a worker that found no part left reads it with no later
    /// synchronisation, while the next `run` writes it (a data race ThreadSanitizer reports, benign or not).
    private let parts = Atomic<Int>(1)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var task: ParallelTask?
    // Heap cells: `&storedProperty` may hand pthreads a temporary copy.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    func run(_ body: ParallelTask) {
        let n = workers
        if n == 1 { body(0, 1); return }
        withoutActuallyEscaping(body) { escaping in
            task = escaping
            parts.store(n, ordering: .relaxed)   // published by the sequentially consistent stores below
            done.store(0, ordering: .sequentiallyConsistent)
            next.store(0, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            wakeSleepers()
            // Parts are claimed, not assigned: when a worker is late (descheduled on a busy machine), the caller
            // runs its part too instead of spinning idle.
            while true {
                let p = next.add(1, ordering: .sequentiallyConsistent).oldValue
                if p >= n { break }
                escaping(p, n)
                done.add(1, ordering: .sequentiallyConsistent)
            }
            var spins = 0
            while done.load(ordering: .acquiring) < n {
                spins += 1
                if spins & 4095 == 0 { sched_yield() }
            }
            task = nil
        }
    }

    private func wakeSleepers() {
        guard sleepers.load(ordering: .sequentiallyConsistent) > 0 else { return }
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func workerLoop(_ index: Int) {
        // Generation 0 is "no work yet": reading the counter here could miss a stop issued before this thread ran.
        var seen = 0
        while true {
            var spins = 0
            var start: UInt64 = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 1023 != 0 { continue }
                if spins & 16383 == 0 { sched_yield() }   // let a descheduled thread of ours (or the loader) run
                let now = ThreadPool.nanoseconds()
                if start == 0 { start = now; continue }
                if now - start < ThreadPool.spinNanoseconds { continue }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen
                    && !stopping.load(ordering: .sequentiallyConsistent) {
                    pthread_cond_wait(condition, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
                start = 0
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            while true {
                let p = next.add(1, ordering: .sequentiallyConsistent).oldValue
                if p >= parts.load(ordering: .relaxed) { break }
                runPart(p)
                done.add(1, ordering: .sequentiallyConsistent)
            }
        }
    }

    /// Runs one claimed part; the task reference is released before the part is reported done.
    @inline(never)
    private func runPart(_ p: Int) {
        if let task { task(p, parts.load(ordering: .relaxed)) }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }
}

private final class WorkerContext {
    let core: PoolCore
    let index: Int
    init(core: PoolCore, index: Int) { self.core = core; self.index = index }
}

/// The `part`-th of `parts` contiguous slices of `0..<n`, boundaries rounded to multiples of `align`.
@inline(__always)
func slice(_ n: Int, _ part: Int, _ parts: Int, align: Int = 1) -> Range<Int> {
    if parts <= 1 { return 0..<n }
    let units = (n + align - 1) / align
    let lo = min(n, units * part / parts * align)
    let hi = part == parts - 1 ? n : min(n, units * (part + 1) / parts * align)
    return lo..<max(lo, hi)
}

/// Measurements of the backend's machinery for Perf.
public enum CPUDiagnostics {
    /// Median cost in nanoseconds of one parallel region with empty bodies on a pool of `threads`, measured
    /// back to back (workers spinning), over `rounds` rounds of 1000 regions.
    public static func poolDispatchNanoseconds(threads: Int, rounds: Int = 7) -> Double {
        let pool = ThreadPool(threads: threads)
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = ThreadPool.nanoseconds()
            for _ in 0..<1000 { pool.run { _, _ in } }
            samples.append(Double(ThreadPool.nanoseconds() - start) / 1000)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
