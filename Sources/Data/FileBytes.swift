// Whole-file reads with errors that name the path. Data files here are at most tens of MB,
// so reading them whole is simpler and faster than streaming.
import Foundation

enum FileBytes {
    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The raw bytes of `path`; a file larger than `MemoryBudget` allows is refused before it is read.
    static func read(_ path: String) throws(DataError) -> [UInt8] {
        guard exists(path) else { throw .fileMissing(path: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if let refusal = MemoryBudget.refusal(size, for: "reading the file") { throw .tooLarge(source: path, reason: refusal) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or I/O error")
        }
        return [UInt8](data)
    }

    /// The bytes of `path`, gunzipped when the file starts with the gzip magic; inflating stops at what
    /// `MemoryBudget` allows (formats with a header bound it tighter, see `IDXReader`).
    static func readMaybeGzip(_ path: String) throws(DataError) -> [UInt8] {
        let bytes = try read(path)
        guard Gzip.isGzip(bytes) else { return bytes }
        return try Gzip.decompress(bytes, path: path, limit: MemoryBudget.allowance,
                                   limitReason: ", more than this machine can give a data set")
    }

    /// `name` in `directory`, or `name.gz` if only that exists; nil if neither does.
    static func locate(_ name: String, in directory: String) -> String? {
        let plain = join(directory, name)
        if exists(plain) { return plain }
        let gz = plain + ".gz"
        return exists(gz) ? gz : nil
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
