import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only JSONL log. Each line goes out in one `write(2)` on an `O_APPEND` descriptor, so a kill
/// can at worst leave one torn last line; `sync()` (at generation ends) makes everything before it durable.
public final class EventLog: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()

    /// Opens (creating) the log. A torn last line from a killed run is cut off first, so new lines never
    /// glue onto half a line.
    public init(path: String) throws(RunDirectoryError) {
        self.path = path
        if let data = FileManager.default.contents(atPath: path), let last = data.last, last != 10 {
            let keep = data.lastIndex(of: 10).map { $0 + 1 } ?? 0
            guard truncate(path, off_t(keep)) == 0 else {
                throw .io(path: path, message: "cannot cut the torn last line: \(AtomicWrite.errnoText())")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, message: "cannot open: \(AtomicWrite.errnoText())") }
        self.fd = fd
    }

    deinit { close(fd) }

    public func append<T: Encodable>(_ event: T) throws(RunDirectoryError) {
        let encoder = RunJSON.encoder([.sortedKeys])
        let line: [UInt8]
        do { line = Array(try encoder.encode(event)) + [10] } catch {
            throw .io(path: path, message: "cannot encode event: \(error)")
        }
        lock.lock()
        let n = line.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        lock.unlock()
        guard n == line.count else { throw .io(path: path, message: "short write: \(AtomicWrite.errnoText())") }
    }

    public func sync() { lock.withLock { _ = fsync(fd) } }

    /// Every complete line that decodes as `T`; a torn or foreign line is skipped, never fatal.
    public static func read<T: Decodable>(_ type: T.Type, from path: String) -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = RunJSON.decoder()
        var result: [T] = []
        var start = data.startIndex
        while let end = data[start...].firstIndex(of: 10) {
            if let value = try? decoder.decode(type, from: data[start..<end]) { result.append(value) }
            start = end + 1
        }
        return result   // bytes after the last newline are a torn line: ignored
    }
}
