#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An environment switch for side-by-side measurements in one build (LLMATIC_WINOGRAD, LLMATIC_DIRECT_CONV,
/// LLMATIC_SMALL_GEMM): "0" turns a path off, "1" forces it on where it can run, anything else (or unset) leaves
/// the default. Read once, where each path's static decision is made.
enum MeasurementSwitch: Equatable {
    case off, on, automatic

    init(_ variable: String) {
        switch getenv(variable).map({ String(cString: $0) }) {
        case "0": self = .off
        case "1": self = .on
        default: self = .automatic
        }
    }

    /// Whether the path runs, by the switch, whether it can run here, and whether it is the default.
    func enables(runnable: Bool, byDefault: Bool) -> Bool {
        runnable && (self == .on || (self == .automatic && byDefault))
    }
}
