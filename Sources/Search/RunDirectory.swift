import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the run directory could not be used.
public enum RunDirectoryError: Error, Sendable, CustomStringConvertible {
    case io(path: String, message: String)
    case notARun(String)

    public var description: String {
        switch self {
        case .io(let path, let message): return "\(path): \(message)"
        case .notARun(let m): return m
        }
    }
}

/// A run's folder. Every path under it is built from fixed names and candidate numbers: nothing a mutator or
/// language model returns ever becomes part of a path, so no reply can write outside the folder.
public struct RunDirectory: Sendable {
    public let root: String

    public init(_ root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    public var configPath: String { path("config.json") }
    public var eventsPath: String { path("events.jsonl") }
    public var archivesPath: String { path("archives.json") }
    public var reportPath: String { path("report.html") }
    public var seedPath: String { path("seed.py") }
    public var finalPath: String { path("final.json") }

    public func path(_ name: String) -> String { root + "/" + name }

    /// `candidates/000042`.
    public func candidateFolder(_ id: Int) -> String { path("candidates/" + Self.folderName(id)) }
    public func candidateFile(_ id: Int, _ name: CandidateFile) -> String { candidateFolder(id) + "/" + name.rawValue }

    public enum CandidateFile: String, Sendable, CaseIterable {
        case source = "net.py", prompt = "prompt.txt", meta = "meta.json", weights = "weights.safetensors"
        /// The best network's weights after the final extra training (`--final-epochs`).
        case refined = "refined.safetensors"
        /// The model's own source when net.py is its repair (by input sizes or a repair round).
        case reply = "reply.py"
        /// The repair round's prompt (the child's code and its located error).
        case repairPrompt = "repair-prompt.txt"
        public static var allNames: [String] { allCases.map(\.rawValue) }
    }

    static func folderName(_ id: Int) -> String {
        let digits = String(max(id, 0))
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    public func create() throws(RunDirectoryError) {
        try makeFolder(root)
        try makeFolder(path("candidates"))
    }

    public func makeFolder(_ folder: String) throws(RunDirectoryError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw .io(path: folder, message: "cannot create folder: \(error.localizedDescription)")
        }
    }

    public func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: file) }

    /// Candidate numbers that have a folder (including ones in flight when a run was killed).
    public func candidateFolders() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("candidates"))) ?? []
        return names.compactMap { Int($0) }.sorted()
    }

    public func read(_ file: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public func writeText(_ text: String, to file: String) throws(RunDirectoryError) {
        try AtomicWrite.write(Array(text.utf8), to: file)
    }

    public func writeJSON<T: Encodable>(_ value: T, to file: String) throws(RunDirectoryError) {
        let encoder = RunJSON.encoder([.prettyPrinted, .sortedKeys])
        do { try AtomicWrite.write(Array(try encoder.encode(value)) + [10], to: file) } catch let e as RunDirectoryError {
            throw e
        } catch {
            throw .io(path: file, message: "cannot encode JSON: \(error)")
        }
    }

    public func readJSON<T: Decodable>(_ type: T.Type, from file: String) throws(RunDirectoryError) -> T {
        guard let data = FileManager.default.contents(atPath: file) else { throw .io(path: file, message: "cannot read") }
        let decoder = RunJSON.decoder()
        do { return try decoder.decode(type, from: data) } catch {
            throw .io(path: file, message: "cannot decode: \(error)")
        }
    }

    public func remove(_ file: String) { try? FileManager.default.removeItem(atPath: file) }
}

/// Temp file + fsync + rename: a reader (or a resumed run after kill -9) sees the old file or the new one,
/// never half of one.
public enum AtomicWrite {
    public static func write(_ bytes: [UInt8], to path: String) throws(RunDirectoryError) {
        let temp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, message: "cannot create \(temp): \(errnoText())") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd); unlink(temp)
                throw .io(path: path, message: "write failed: \(errnoText())")
            }
            offset += n
        }
        fsync(fd)
        close(fd)
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw .io(path: path, message: "rename failed: \(errnoText())")
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, named so it does not clash with Swift's own `write` functions.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
