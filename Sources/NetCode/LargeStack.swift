import Foundation
#if os(Linux)
import Glibc
#endif

/// Runs work on long-lived threads with large stacks and waits for it. Hostile source can build values nested
/// ~100 000 deep within the step budget (`v = [v]` in a loop); Swift frees such chains recursively, which needs up
/// to ~64 MiB of stack, far more than a caller's thread may have (512 KiB is common off the main thread).
///
/// Threads are made on demand, one per concurrent caller up to the core count, and then park: a parse pays a
/// hand-off of a few microseconds, where a fresh thread per parse cost ~150 µs of CPU (mostly faulting in new
/// stack pages).
final class LargeStack: @unchecked Sendable {
    static let shared = LargeStack()
    /// Reserved address space per thread; pages are only committed as they are touched.
    static let bytes = 256 << 20

    private final class Job: @unchecked Sendable {
        let work: @Sendable () -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var idle = 0
    private var threads = 0
    private let maxThreads = max(2, ProcessInfo.processInfo.activeProcessorCount)

    /// False if no thread could be created at all; the caller then does the work itself.
    func run(_ work: @escaping @Sendable () -> Void) -> Bool {
        let job = Job(work)
        condition.lock()
        if idle == 0 && threads < maxThreads {
            if spawn() { threads += 1 } else if threads == 0 { condition.unlock(); return false }
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
        job.done.wait()
        return true
    }

    private func serve() {
        condition.lock()
        while true {
            while queue.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = queue.removeFirst()
            condition.unlock()
            job.work()
            job.done.signal()
            condition.lock()
        }
    }

    private func spawn() -> Bool {
        #if os(Linux)
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return false }
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstacksize(&attributes, Self.bytes) == 0,
              pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) == 0 else { return false }
        var thread = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        return pthread_create(&thread, &attributes, { raw in
            if let raw { Unmanaged<LargeStack>.fromOpaque(raw).takeUnretainedValue().serve() }
            return nil
        }, context) == 0
        #else
        let thread = Thread { [self] in serve() }
        thread.stackSize = Self.bytes
        thread.start()
        return true
        #endif
    }
}
