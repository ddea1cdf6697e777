#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine

/// Why the CPU backend could not load a plan.
public enum CPUBackendError: Error, CustomStringConvertible, Sendable {
    /// A region or workspace of this many bytes could not be allocated (or would not fit in physical memory).
    case outOfMemory(bytes: Int)
    /// The plan contains an instruction whose operands do not match its op.
    case malformedInstruction(String)

    public var description: String {
        switch self {
        case .outOfMemory(let bytes): return "cpu backend: cannot allocate \(bytes) bytes"
        case .malformedInstruction(let m): return "cpu backend: malformed instruction: \(m)"
        }
    }
}

/// One zero-filled, 64-byte aligned block of 4-byte elements, freed with its owner.
final class AlignedBuffer {
    let count: Int
    let raw: UnsafeMutableRawPointer

    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    var ints: UnsafeMutablePointer<Int32> { raw.assumingMemoryBound(to: Int32.self) }

    /// Physical memory of the machine: a request above it cannot succeed in any useful sense.
    static let physicalBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : Int.max
    }()

    /// Allocates `count` elements (at least one cache line) or throws `outOfMemory` with the byte count.
    init(count: Int) throws {
        let (bytes, overflow) = max(count, 16).multipliedReportingOverflow(by: 4)
        guard !overflow, count >= 0 else { throw CPUBackendError.outOfMemory(bytes: Int.max) }
        let rounded = (bytes + 63) / 64 * 64
        guard rounded <= Self.physicalBytes else { throw CPUBackendError.outOfMemory(bytes: rounded) }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 64, rounded) == 0, let p = pointer else {
            throw CPUBackendError.outOfMemory(bytes: rounded)
        }
        memset(p, 0, rounded)
        self.count = count
        raw = p
    }

    deinit { free(raw) }
}

extension CPUBackendError: BackendFailureConvertible {
    public var backendFailure: BackendFailure {
        switch self {
        case .outOfMemory: return .outOfMemory(device: "cpu", detail: description)
        case .malformedInstruction: return .failed(device: "cpu", detail: description)
        }
    }
}
