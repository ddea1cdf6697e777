/// Why a backend could not load or run a plan, in the same cases for every backend, so that the trainer and the
/// search switch on what happened instead of reading the backend's wording.
public enum BackendFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Host or device memory ran out (or a request exceeds what the device can ever allocate).
    case outOfMemory(device: String, detail: String)
    /// An op, shape or option this backend cannot run.
    case unsupported(device: String, detail: String)
    /// No device of this kind is present.
    case noDevice(String)
    /// Anything else the backend reported (a failing driver call, a kernel that did not build, a malformed plan).
    case failed(device: String, detail: String)

    public var description: String {
        switch self {
        case .outOfMemory(let device, let detail): return "\(device): out of memory: \(detail)"
        case .unsupported(let device, let detail): return "\(device): unsupported: \(detail)"
        case .noDevice(let detail): return "no device: \(detail)"
        case .failed(let device, let detail): return "\(device): \(detail)"
        }
    }
}

/// A backend's own error type, mapped onto `BackendFailure` by its kind (never by its message).
public protocol BackendFailureConvertible: Error {
    var backendFailure: BackendFailure { get }
}
