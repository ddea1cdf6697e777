import CMPI
import Foundation

/// The only code that calls MPI. It runs on its own thread (MPI initialised there with
/// MPI_THREAD_SERIALIZED, so no other thread may call MPI): it starts queued sends with MPI_Isend, completes
/// them with MPI_Test, and polls for arrivals with MPI_Iprobe. Between idle polls it sleeps, backing off from
/// 50 us to 5 ms: Open MPI's blocking receive spins a core, and a worker waiting for its next child, or rank 0
/// waiting for results, must leave the cores to training. A queued send wakes it at once (`wake`), so a result
/// or a job never waits out a sleep before it leaves. Non-blocking sends also mean two ranks sending large
/// messages to each other at once cannot deadlock.
public final class Courier: @unchecked Sendable {
    public typealias Delivery = @Sendable (_ source: Int, _ bytes: Data) -> Void
    static let tag: Int32 = 7
    static let minimumSleep: UInt32 = 50        // microseconds
    static let maximumSleep: UInt32 = 5_000

    public private(set) var rank = 0
    public private(set) var size = 1
    private let lock = NSLock()
    private var outbox: [(destination: Int, bytes: Data)] = []
    private var closing = false
    private let finished = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    /// Signalled by `send` and `close`: the courier thread's sleep ends early when there is something to send.
    private let wake = DispatchSemaphore(value: 0)
    private var startError: ClusterError?
    private let deliver: Delivery

    /// Loads `environment.library`, initialises MPI on the courier's thread and starts polling. `deliver` is
    /// called on the courier thread for every arriving message; it must return quickly.
    public init(_ environment: MPIEnvironment, deliver: @escaping Delivery) throws(ClusterError) {
        self.deliver = deliver
        var error = [CChar](repeating: 0, count: 512)
        guard cmpi_load(environment.library, &error, error.count) == 0 else {
            throw .mpi(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                       + " (set LLMATIC_MPI_LIBRARY to the path of libmpi.so.40)")
        }
        let thread = Thread { [unowned self] in self.main() }
        thread.name = "llmatic.mpi"
        thread.start()
        started.wait()
        if let startError { throw startError }
    }

    /// Queues `bytes` for `destination`; sent in order per destination.
    public func send(_ bytes: Data, to destination: Int) {
        lock.withLock { outbox.append((destination, bytes)) }
        wake.signal()
    }

    /// Sends what is queued, finalises MPI and stops the thread.
    public func close() {
        lock.withLock { closing = true }
        wake.signal()
        finished.wait()
    }

    /// Ends every rank of the job at once (an MPI call failed: the job cannot go on consistently).
    func abort(code: Int32) -> Never {
        _ = cmpi_abort(code)
        exit(code)
    }

    private func main() {
        var provided: Int32 = 0
        var r: Int32 = 0, s: Int32 = 0
        if cmpi_init_thread(Int32(CMPI_THREAD_SERIALIZED), &provided) != CMPI_SUCCESS {
            startError = .mpi("MPI_Init_thread failed")
        } else if provided < Int32(CMPI_THREAD_SERIALIZED) && provided != Int32(CMPI_THREAD_FUNNELED) {
            startError = .mpi("the MPI library gives thread level \(provided); llmatic needs FUNNELED or better")
        } else if cmpi_rank(&r) != CMPI_SUCCESS || cmpi_size(&s) != CMPI_SUCCESS {
            startError = .mpi("MPI_Comm_rank / MPI_Comm_size failed")
        }
        rank = Int(r); size = Int(s)
        started.signal()
        guard startError == nil else { return }
        poll()
        _ = cmpi_finalize()
        finished.signal()
    }

    private struct Sending { var request: cmpi_handle?; var buffer: UnsafeMutableRawBufferPointer }

    private func poll() {
        var sending: [Sending] = []
        var sleep = Self.minimumSleep
        while true {
            var progressed = false
            let (queued, closing) = lock.withLock { () -> ([(destination: Int, bytes: Data)], Bool) in
                defer { outbox.removeAll() }
                return (outbox, self.closing)
            }
            for item in queued {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(item.bytes.count, 1), alignment: 16)
                item.bytes.copyBytes(to: buffer.bindMemory(to: UInt8.self))
                var request: cmpi_handle?
                if cmpi_isend_bytes(buffer.baseAddress, Int32(item.bytes.count), Int32(item.destination), Self.tag, &request) != CMPI_SUCCESS {
                    fatal("MPI_Isend of \(item.bytes.count) bytes to rank \(item.destination) failed")
                }
                sending.append(Sending(request: request, buffer: buffer))
                progressed = true
            }
            sending.removeAll { s in
                var request = s.request
                var flag: Int32 = 0
                if cmpi_test(&request, &flag) != CMPI_SUCCESS { fatal("MPI_Test failed") }
                if flag != 0 { s.buffer.deallocate() }
                return flag != 0
            }
            var flag: Int32 = 0
            var status = cmpi_status()
            if cmpi_iprobe(&flag, &status) != CMPI_SUCCESS { fatal("MPI_Iprobe failed") }
            if flag != 0 {
                var count: Int32 = 0
                if cmpi_byte_count(&status, &count) != CMPI_SUCCESS { fatal("MPI_Get_count failed") }
                var bytes = Data(count: Int(count))
                let source = status.source
                let rc = bytes.withUnsafeMutableBytes { cmpi_recv_bytes($0.baseAddress, count, source, status.tag, nil) }
                if rc != CMPI_SUCCESS { fatal("MPI_Recv of \(count) bytes from rank \(source) failed") }
                deliver(Int(source), bytes)
                progressed = true
            }
            if closing && sending.isEmpty && lock.withLock({ outbox.isEmpty }) { return }
            if progressed {
                sleep = Self.minimumSleep
            } else {
                _ = wake.wait(timeout: .now() + .microseconds(Int(sleep)))
                sleep = min(sleep * 2, Self.maximumSleep)
            }
        }
    }

    private func fatal(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: MPI rank \(rank): \(message)\n".utf8))
        abort(code: 1)
    }
}
