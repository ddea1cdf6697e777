// The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic, then one UInt32 per
// dimension) followed by uint8 payload. Raw and gzip files are both accepted.

public enum IDXReader {
    /// Magic of a uint8 tensor with 3 dimensions (count, rows, columns).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic of a uint8 tensor with 1 dimension (count).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an idx3-ubyte image file: `pixels` holds `count` images of `height` x `width`, row-major.
    public static func readImages(path: String) throws(DataError)
        -> (count: Int, height: Int, width: Int, pixels: [UInt8]) {
        let (dims, payload) = try read(path, magic: imagesMagic, dimensions: 3)
        return (dims[0], dims[1], dims[2], payload)
    }

    /// Reads an idx1-ubyte label file.
    public static func readLabels(path: String) throws(DataError) -> [UInt8] {
        try read(path, magic: labelsMagic, dimensions: 1).payload
    }

    /// The header first (inflating only its bytes from a .gz), then the whole file, whose size the header
    /// fixes: a file is never inflated past it, and a header declaring more than `MemoryBudget` allows is
    /// refused before anything of that size is allocated.
    private static func read(_ path: String, magic: UInt32, dimensions: Int) throws(DataError) -> (dims: [Int], payload: [UInt8]) {
        let raw = try FileBytes.read(path)
        let headerSize = 4 * (1 + dimensions)
        let compressed = Gzip.isGzip(raw)
        let head = compressed ? try Gzip.decompress(raw, path: path, limit: headerSize, prefix: true) : raw
        let dims = try header(head, path: path, magic: magic, dimensions: dimensions)
        let expected = MemoryBudget.bytes([[headerSize], dims])
        if let refusal = MemoryBudget.refusal(expected, for: "the data its header declares (\(dims.map(String.init).joined(separator: "x")) bytes)") {
            throw .tooLarge(source: path, reason: refusal)
        }
        let bytes = compressed
            ? try Gzip.decompress(raw, path: path, limit: expected ?? 0, limitReason: ", the size its IDX header declares")
            : raw
        return (dims, try checkedPayload(bytes, path: path, headerSize: headerSize, dims: dims))
    }

    /// Validates the magic and returns the dimensions that follow it.
    private static func header(_ bytes: [UInt8], path: String, magic: UInt32, dimensions: Int) throws(DataError) -> [Int] {
        let headerSize = 4 * (1 + dimensions)
        // A file too short for even the magic is reported as truncated, not as a bad magic.
        guard bytes.count >= 4 else { throw .truncated(path: path, expected: headerSize, found: bytes.count) }
        let found = bigEndianUInt32(bytes, at: 0)
        guard found == magic else { throw .badMagic(path: path, expected: magic, found: found) }
        guard bytes.count >= headerSize else { throw .truncated(path: path, expected: headerSize, found: bytes.count) }
        return (0..<dimensions).map { Int(bigEndianUInt32(bytes, at: 4 * (1 + $0))) }
    }

    /// The payload after the header, which must be exactly the product of the dimensions.
    private static func checkedPayload(_ bytes: [UInt8], path: String, headerSize: Int, dims: [Int]) throws(DataError) -> [UInt8] {
        var expected = headerSize
        var product = 1
        for dim in dims {
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            product = overflow ? Int.max - headerSize : next
        }
        expected += product
        if bytes.count < expected { throw .truncated(path: path, expected: expected, found: bytes.count) }
        if bytes.count > expected { throw .trailingData(path: path, expected: expected, found: bytes.count) }
        return Array(bytes[headerSize...])
    }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
