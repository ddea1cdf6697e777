import Foundation

/// Element types of the safetensors format, spelled as in its header.
public enum SafetensorsDType: String, Hashable, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// One named tensor: its type, shape and raw little-endian bytes.
public struct SafetensorsTensor: Hashable, Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
    }

    public init(name: String, shape: [Int], floats: [Float]) {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        for (i, v) in floats.enumerated() {
            let bits = v.bitPattern.littleEndian
            for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
        }
        self.init(name: name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// A 64-bit integer scalar (shape `[]`), the form of BatchNorm's `num_batches_tracked`.
    public init(name: String, int64 value: Int64) {
        let bits = UInt64(bitPattern: value).littleEndian
        self.init(name: name, dtype: .i64, shape: [], bytes: (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) })
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The values of an F32 tensor; nil for other types.
    public var floats: [Float]? {
        guard dtype == .f32 else { return nil }
        return (0..<(bytes.count / 4)).map { i in
            var bits: UInt32 = 0
            for k in 0..<4 { bits |= UInt32(bytes[4 * i + k]) << (8 * k) }
            return Float(bitPattern: bits)
        }
    }

    /// The value of an I64 scalar; nil otherwise.
    public var int64: Int64? {
        guard dtype == .i64, bytes.count == 8 else { return nil }
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(bytes[k]) << (8 * k) }
        return Int64(bitPattern: bits)
    }
}

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a
/// JSON header `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`
/// padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back in header order.
public struct SafetensorsFile: Sendable, Equatable {
    public var tensors: [SafetensorsTensor]
    public var metadata: [String: String]

    public init(tensors: [SafetensorsTensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors; self.metadata = metadata
    }

    public func tensor(named name: String) -> SafetensorsTensor? { tensors.first { $0.name == name } }

    /// The file's bytes. Tensors keep their order; metadata keys are sorted so equal files are equal bytes.
    public func encoded() -> [UInt8] {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONText.quote($0)):\(JSONText.quote(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONText.quote(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * k))) }
        out += headerBytes
        for t in tensors { out += t.bytes }
        return out
    }

    /// Writes the file atomically (temporary file, then rename).
    public func write(to path: String) throws(SafetensorsError) {
        try AtomicFile.write(encoded(), to: path)
    }
}
