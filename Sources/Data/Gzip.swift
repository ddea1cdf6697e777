// gzip decompression through zlib. Files are recognised by their 0x1f 0x8b magic, never by
// extension: Debian ships the .gz files, users often gunzip them, and both must load.
import CZlib
import Foundation

enum Gzip {
    /// True if `bytes` starts with the gzip magic.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates every gzip member in `input` (gzip allows concatenated members), never holding more than
    /// `limit` + 1 output bytes: a stream that inflates beyond `limit` is `tooLarge`, with `limitReason` saying
    /// where the limit comes from. With `prefix`, returns as soon as `limit` bytes are out (or the stream ends):
    /// the header of a file, read before its size is known.
    /// A stream that ends before its end marker, bad data, or a CRC mismatch is `corruptGzip`.
    static func decompress(_ input: [UInt8], path: String, limit: Int, limitReason: String = "",
                           prefix: Bool = false) throws(DataError) -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: the largest window, with automatic gzip/zlib header detection. The macro
        // inflateInit2 is not imported into Swift, so call the function it expands to.
        let initStatus = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw .corruptGzip(path: path, reason: "zlib inflateInit2 failed with status \(initStatus)")
        }
        defer { inflateEnd(&stream) }

        // One byte past the limit tells "exactly the limit" from "more than the limit".
        let capacity = prefix ? limit : min(limit, Int.max - 1) + 1
        var output = [UInt8](repeating: 0, count: min(initialCapacity(for: input), capacity))
        var inOffset = 0
        var outOffset = 0
        // Chunks stay below 1 GiB because zlib counts bytes in 32-bit fields.
        let chunkLimit = 1 << 30

        while true {
            if outOffset == capacity {
                if prefix { return output }
                throw .tooLarge(source: path, reason: "the gzip stream inflates to more than \(limit) bytes\(limitReason)")
            }
            if outOffset == output.count {
                output.append(contentsOf: repeatElement(0, count: min(max(output.count, 1 << 16), capacity - output.count)))
            }
            let inChunk = min(input.count - inOffset, chunkLimit)
            let outChunk = min(output.count - outOffset, chunkLimit)
            let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    // The pointers are set afresh for every call, so none outlives its closure.
                    stream.next_in = inBuffer.baseAddress.map { UnsafeMutablePointer(mutating: $0 + inOffset) }
                    stream.avail_in = UInt32(inChunk)
                    stream.next_out = outBuffer.baseAddress.map { $0 + outOffset }
                    stream.avail_out = UInt32(outChunk)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    stream.next_in = nil
                    stream.next_out = nil
                    return status
                }
            }
            inOffset += inChunk - Int(stream.avail_in)
            outOffset += outChunk - Int(stream.avail_out)

            switch status {
            case Z_STREAM_END:
                if inOffset == input.count || (prefix && outOffset == capacity) {
                    output.removeSubrange(outOffset...)
                    return output
                }
                // More input: it must be another gzip member.
                guard input[inOffset] == 0x1f, inOffset + 1 < input.count, input[inOffset + 1] == 0x8b else {
                    throw .corruptGzip(path: path, reason: "\(input.count - inOffset) bytes of trailing garbage after the gzip stream")
                }
                inflateReset(&stream)
            case Z_OK, Z_BUF_ERROR:
                // With all input consumed and output space left over, zlib has nothing more to give:
                // the stream was cut short. (A prefix that ends early is read as it is.)
                if inOffset == input.count && stream.avail_out > 0 {
                    if prefix {
                        output.removeSubrange(outOffset...)
                        return output
                    }
                    throw .corruptGzip(path: path, reason: "stream ends early (truncated after \(input.count) compressed bytes)")
                }
            default:
                throw .corruptGzip(path: path, reason: zlibMessage(stream, status: status))
            }
        }
    }

    /// The size the gzip trailer records (mod 2^32), capped so a corrupt trailer cannot
    /// trigger a huge allocation (the caller caps it again at its limit); the output grows as needed anyway.
    private static func initialCapacity(for input: [UInt8]) -> Int {
        let fallback = max(input.count * 4, 1 << 16)
        guard input.count >= 18 else { return fallback }
        let n = input.count
        let recorded = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        guard recorded > 0, recorded <= input.count * 1100 else { return fallback }
        return recorded
    }

    private static func zlibMessage(_ stream: z_stream, status: Int32) -> String {
        if let message = stream.msg { return "\(String(cString: message)), zlib status \(status)" }
        return "zlib status \(status)"
    }
}
