// `--device`: which backend runs the plan.
import CPUBackend
import Engine
import OpenCLBackend
import ReferenceBackend

enum DeviceSelection: Equatable, CustomStringConvertible {
    /// The best available device: the fastest OpenCL GPU, else the CPU backend (an OpenCL CPU device such as
    /// PoCL is slower than our own CPU backend, so `auto` never picks one).
    case auto
    case cpu
    /// The slow, exact reference interpreter (for cross-checks).
    case reference
    /// An OpenCL device; nil index = the fastest GPU, else the first device.
    case opencl(index: Int?)

    static let spellings = ["auto", "cpu", "reference", "opencl", "opencl:N"]

    init(parsing text: String) throws(UsageError) {
        switch text {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "reference": self = .reference
        case "opencl": self = .opencl(index: nil)
        default:
            if text.hasPrefix("opencl:"), let n = Int(text.dropFirst(7)), n >= 0 {
                self = .opencl(index: n)
            } else {
                throw UsageError("invalid value '\(text)' for --device; valid values: \(Self.spellings.joined(separator: ", "))")
            }
        }
    }

    /// `--device` of search: a comma-separated list, one worker per entry. An empty entry (`cpu,,cpu`) is
    /// refused rather than skipped: the user meant some device there.
    static func list(parsing text: String) throws(UsageError) -> [DeviceSelection] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !entries.contains(where: \.isEmpty) else {
            throw UsageError("invalid value '\(text)' for --device: the list has an empty entry (separate devices by single commas, such as cpu,opencl:0)")
        }
        return try entries.map { (entry: String) throws(UsageError) -> DeviceSelection in try DeviceSelection(parsing: entry) }
    }

    var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .reference: return "reference"
        case .opencl(let i): return i.map { "opencl:\($0)" } ?? "opencl"
        }
    }

    /// The backend for this selection. `threads` sizes the CPU backend's pool; `tune: false` keeps OpenCL GEMMs
    /// on the device defaults (nil: tune on GPUs, as `OpenCLBackend` decides); `tuningBudget` replaces the
    /// seconds each plan may tune (0: only choices already cached).
    func makeBackend(threads: Int, tune: Bool? = nil, tuningBudget: Double? = nil) throws -> any Backend {
        func opencl(_ device: OpenCLDevice) -> OpenCLBackend {
            var backend = OpenCLBackend(device: device, tune: tune)
            if let tuningBudget { backend.tuningBudget = tuningBudget }
            return backend
        }
        switch self {
        case .auto:
            if let gpu = OpenCLDevice.fastestGPU() { return opencl(gpu) }
            return CPUBackend(threads: threads)
        case .cpu:
            return CPUBackend(threads: threads)
        case .reference:
            return ReferenceBackend()
        case .opencl:
            return opencl(try OpenCLDevice.select(description))
        }
    }
}
