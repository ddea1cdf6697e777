// Every failure to load data says which file (or spec) and what exactly is wrong, so a user can
// fix a bad download without reading the source.

public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist (or is not a regular file).
    case fileMissing(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// Fewer bytes than the header (or record size) promises. For .gz files, counted after decompression.
    case truncated(path: String, expected: Int, found: Int)
    /// More bytes than the header promises: probably a different file under the right name.
    case trailingData(path: String, expected: Int, found: Int)
    case badMagic(path: String, expected: UInt32, found: UInt32)
    /// Image and label files (or train and test halves) disagree on a dimension.
    case dimensionMismatch(path: String, otherPath: String, what: String, value: Int, otherValue: Int)
    case corruptGzip(path: String, reason: String)
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    case unknownDatasetSpec(spec: String, reason: String)
    /// No folder holding the data set was found.
    case datasetNotFound(spec: String, searched: [String], hint: String)
    /// A file or spec that would need more memory than the machine can give (see `MemoryBudget`), or a gzip
    /// stream that inflates beyond the size its contents declare. `source` is the path or the spec.
    case tooLarge(source: String, reason: String)

    public var description: String {
        switch self {
        case .fileMissing(let path):
            return "\(path): file missing"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .truncated(let path, let expected, let found):
            return "\(path): truncated (expected \(expected) bytes, found \(found))"
        case .trailingData(let path, let expected, let found):
            return "\(path): unexpected size (expected exactly \(expected) bytes, found \(found))"
        case .badMagic(let path, let expected, let found):
            return "\(path): bad magic number (expected \(hex(expected)), found \(hex(found)))"
        case .dimensionMismatch(let path, let otherPath, let what, let value, let otherValue):
            return "\(path): dimension mismatch: \(what) is \(value) here but \(otherValue) in \(otherPath)"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip stream (\(reason))"
        case .labelOutOfRange(let path, let index, let label, let classes):
            return "\(path): label out of range: record \(index) has label \(label), expected 0..<\(classes)"
        case .unknownDatasetSpec(let spec, let reason):
            return "unknown dataset spec '\(spec)': \(reason). Expected one of: fashion-mnist, fashion-mnist:DIR, "
                + "mnist, mnist:DIR, cifar10:DIR, cifar100:DIR, synthetic, synthetic:CxHxW:CLASSES:TRAIN:TEST"
        case .datasetNotFound(let spec, let searched, let hint):
            let folders = searched.isEmpty ? "(none)" : searched.joined(separator: ", ")
            return "dataset '\(spec)' not found; searched: \(folders). \(hint)"
        case .tooLarge(let source, let reason):
            return "\(source): \(reason)"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
