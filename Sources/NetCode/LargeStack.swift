import Foundation
#if os(Linux)
import Glibc
#endif

/// Runs work on a private thread with a large stack and waits for it. Hostile source can build values nested
/// ~100 000 deep within the step budget (`v = [v]` in a loop); Swift frees such chains recursively, which needs up
/// to ~64 MiB of stack, far more than a caller's thread may have (512 KiB is common off the main thread).
enum LargeStack {
    /// Reserved address space; pages are only committed as they are touched.
    static let bytes = 256 << 20

    /// False if no such thread could be created; the caller then does the work itself.
    static func run(_ work: @escaping @Sendable () -> Void) -> Bool {
        #if os(Linux)
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return false }
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstacksize(&attributes, bytes) == 0 else { return false }
        let context = Unmanaged.passRetained(Work(work)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { raw in
            if let raw { Unmanaged<Work>.fromOpaque(raw).takeRetainedValue().body() }
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Work>.fromOpaque(context).release()
            return false
        }
        return pthread_join(thread, nil) == 0
        #else
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            work()
            done.signal()
        }
        thread.stackSize = bytes
        thread.start()
        done.wait()
        return true
        #endif
    }

    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
