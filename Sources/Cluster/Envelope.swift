import Foundation

/// One MPI message: a JSON header and binary payloads (weights files), framed as
/// `"LMPI" | u32 header bytes | u32 parts | u64 bytes per part | header | parts`, little-endian.
/// Binary parts travel as they are: weights are never base64'd into JSON.
public struct Envelope: Equatable, Sendable {
    public static let magic: [UInt8] = Array("LMPI".utf8)
    /// A header longer than this is refused (a job's graph is a few hundred KB at most).
    public static let maxHeaderBytes = 64 << 20
    public static let maxParts = 64

    public var header: Data
    public var parts: [Data]

    public init(header: Data, parts: [Data] = []) { self.header = header; self.parts = parts }

    public func encoded() -> Data {
        var out = Data(Self.magic)
        append(UInt32(header.count), to: &out)
        append(UInt32(parts.count), to: &out)
        for p in parts { append(UInt64(p.count), to: &out) }
        out.append(header)
        for p in parts { out.append(p) }
        return out
    }

    public init(decoding bytes: Data) throws(ClusterError) {
        let b = [UInt8](bytes)
        guard b.count >= 12, Array(b[0..<4]) == Self.magic else { throw .malformed("no LMPI magic in \(b.count) bytes") }
        let headerCount = Int(Self.read(UInt32.self, b, at: 4))
        let partCount = Int(Self.read(UInt32.self, b, at: 8))
        guard headerCount <= Self.maxHeaderBytes else { throw .malformed("header of \(headerCount) bytes is over the limit") }
        guard partCount <= Self.maxParts else { throw .malformed("\(partCount) parts is over the limit of \(Self.maxParts)") }
        var offset = 12
        guard b.count >= offset + 8 * partCount else { throw .malformed("truncated part table at byte \(offset)") }
        var lengths: [Int] = []
        for i in 0..<partCount {
            let n = Self.read(UInt64.self, b, at: offset + 8 * i)
            guard n <= UInt64(b.count) else { throw .malformed("part \(i) claims \(n) bytes of a \(b.count)-byte message") }
            lengths.append(Int(n))
        }
        offset += 8 * partCount
        guard b.count - offset >= headerCount else { throw .malformed("truncated header at byte \(offset)") }
        header = Data(b[offset..<(offset + headerCount)])
        offset += headerCount
        var parts: [Data] = []
        for (i, n) in lengths.enumerated() {
            guard b.count - offset >= n else { throw .malformed("truncated part \(i) at byte \(offset)") }
            parts.append(Data(b[offset..<(offset + n)]))
            offset += n
        }
        guard offset == b.count else { throw .malformed("\(b.count - offset) trailing bytes after the last part") }
        self.parts = parts
    }

    private func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func read<T: FixedWidthInteger>(_ type: T.Type, _ b: [UInt8], at offset: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(b[offset + i]) << (8 * i) }
        return v
    }
}
