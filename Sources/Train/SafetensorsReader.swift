import Foundation

extension SafetensorsFile {
    /// Largest header accepted (the reference implementation's limit), so a corrupt length cannot make us
    /// allocate gigabytes.
    static let maximumHeaderBytes = 100_000_000

    public static func read(path: String) throws(SafetensorsError) -> SafetensorsFile {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw .io(path: path, message: exists ? "cannot be opened for reading" : "no such file")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw .io(path: path, message: "read failed: \(error.localizedDescription)")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses and checks the bytes of a file: header length, JSON, dtypes, shapes against byte ranges, and that
    /// the ranges tile the data area exactly (no overlap, no gap, nothing past the end).
    public static func decode(_ bytes: [UInt8], path: String) throws(SafetensorsError) -> SafetensorsFile {
        guard bytes.count >= 8 else {
            throw .truncated(path: path, message: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[k]) << (8 * k) }
        guard length <= UInt64(maximumHeaderBytes) else {
            throw .invalidHeader(path: path, message: "header length \(length) is implausible")
        }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else {
            throw .truncated(path: path, message: "header of \(length) bytes, but the file has \(bytes.count - 8) after the length")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]), options: [])
        } catch {
            throw .invalidHeader(path: path, message: "header is not JSON")
        }
        guard let header = json as? [String: Any] else {
            throw .invalidHeader(path: path, message: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [(begin: Int, end: Int, tensor: SafetensorsTensor)] = []
        let dataCount = bytes.count - headerEnd
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw .invalidHeader(path: path, message: "__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw .invalidHeader(path: path, message: "metadata '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            let entry = try parseEntry(name, value, path: path)
            guard entry.end <= dataCount else {
                throw .truncated(path: path, message: "tensor '\(name)' needs data bytes up to \(entry.end), the file has \(dataCount)")
            }
            let tensor = SafetensorsTensor(name: name, dtype: entry.dtype, shape: entry.shape,
                                           bytes: Array(bytes[(headerEnd + entry.begin)..<(headerEnd + entry.end)]))
            entries.append((entry.begin, entry.end, tensor))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for e in entries {
            guard e.begin == cursor else {
                let what = e.begin < cursor ? "overlaps the previous tensor" : "leaves a gap before it"
                throw .invalidTensor(path: path, tensor: e.tensor.name, message: "data_offsets [\(e.begin), \(e.end)] \(what)")
            }
            cursor = e.end
        }
        guard cursor == dataCount else {
            throw .invalidHeader(path: path, message: "\(dataCount - cursor) bytes after the last tensor belong to none")
        }
        return SafetensorsFile(tensors: entries.map(\.tensor), metadata: metadata)
    }

    static func parseEntry(_ name: String, _ value: Any,
                           path: String) throws(SafetensorsError) -> (dtype: SafetensorsDType, shape: [Int], begin: Int, end: Int) {
        func bad(_ message: String) -> SafetensorsError { .invalidTensor(path: path, tensor: name, message: message) }
        guard let fields = value as? [String: Any] else { throw bad("entry is not a JSON object") }
        guard let dtypeText = fields["dtype"] as? String else { throw bad("no dtype") }
        guard let dtype = SafetensorsDType(rawValue: dtypeText) else { throw bad("unknown dtype '\(dtypeText)'") }
        guard let shapeValues = fields["shape"] as? [Any] else { throw bad("no shape") }
        let shape = shapeValues.compactMap(jsonInt)
        guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else { throw bad("shape is not a list of sizes") }
        guard let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2,
              let begin = jsonInt(offsetValues[0]), let end = jsonInt(offsetValues[1]), begin >= 0, begin <= end else {
            throw bad("data_offsets must be [begin, end] with 0 <= begin <= end")
        }
        let (elements, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, elements <= Int.max / dtype.byteSize, end - begin == elements * dtype.byteSize else {
            throw bad("shape \(shape) of \(dtype.rawValue) needs \(elements) x \(dtype.byteSize) bytes, data_offsets give \(end - begin)")
        }
        return (dtype, shape, begin, end)
    }
}

/// An integer from a JSON number (Foundation hands numbers back as NSNumber on Linux).
private func jsonInt(_ value: Any) -> Int? {
    if let i = value as? Int { return i }
    if let n = value as? NSNumber {
        let d = n.doubleValue
        guard d.rounded() == d, abs(d) < 9e15 else { return nil }
        return Int(d)
    }
    return nil
}
