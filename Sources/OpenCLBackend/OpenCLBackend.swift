import Engine
import Foundation

/// Runs plans on one OpenCL device with the kernels of Kernels/*.cl.
///
///     let device = try OpenCLDevice.select("opencl:0")      // or "opencl": fastest GPU, else first device
///     let backend = OpenCLBackend(device: device, tune: true)
///     let executor = try backend.load(plan)                  // allocates, builds, prebinds every kernel
///
/// `tune` runs the GEMM autotuner on the plan's GEMM shapes (bounded by `tuningBudget` seconds; results cached
/// in `$XDG_CACHE_HOME/llmatic/tuning.json`); without it the per-device defaults (GemmParameters.defaults) apply.
public struct OpenCLBackend: Backend {
    public let device: OpenCLDevice
    public var tune: Bool
    /// Per-kernel timings (CL_QUEUE_PROFILING_ENABLE), read with `OpenCLExecutor.takeProfile()`.
    public var profiling: Bool
    /// Seconds the tuner may spend per `load` (cached shapes cost nothing).
    public var tuningBudget: Double
    /// Forces these GEMM parameters for every shape (tests and experiments); nil uses tuning/defaults.
    public var gemmOverride: GemmParameters?

    /// `tune: nil` tunes on GPUs only: CPU runtimes (PoCL) take seconds per candidate build and their default is
    /// already measured. GPU compilers vary: NVIDIA's (H200, driver 580) took 1-2 s per candidate, so a plan's
    /// 30 s reach about one shape; cached choices (`llmatic tune`) cost nothing. The environment variable
    /// `LLMATIC_OPENCL_TUNE=0`/`1` overrides the default.
    public init(device: OpenCLDevice, tune: Bool? = nil, profiling: Bool = false, tuningBudget: Double = 30) {
        let env = ProcessInfo.processInfo.environment["LLMATIC_OPENCL_TUNE"].map { $0 != "0" }
        self.device = device
        self.tune = tune ?? env ?? (device.kind == .gpu)
        self.profiling = profiling; self.tuningBudget = tuningBudget
    }

    /// `opencl` or `opencl:N` (see `OpenCLDevice.select`).
    public init(selection: String, tune: Bool? = nil, profiling: Bool = false) throws {
        self.init(device: try OpenCLDevice.select(selection), tune: tune, profiling: profiling)
    }

    public var name: String { device.shortName }

    public func load(_ plan: Plan) throws -> any PlanExecutor { try loadExecutor(plan) }

    /// Every op but the fused batch norm + ReLU backward and batch norm + add (`Fusion`; refused, so its plans keep the pairs):
    /// this backend's one dispatch over `Op` (`Lowering.lower`) is exhaustive with no `default:` and has a kernel in
    /// every other arm, so a new op does not compile until it takes a side here too.
    public func supports(_ op: Op) -> Bool {
        switch op {
        case .batchNormReluBackward, .batchNormAdd: return false
        default: return true
        }
    }

    /// `load` with the concrete type (enqueue/wait counters, profiles).
    public func loadExecutor(_ plan: Plan) throws -> OpenCLExecutor {
        try checkSupport(plan)
        let runtime = try DeviceRuntime.shared(device)
        return try OpenCLExecutor(plan: plan, runtime: runtime, tune: tune, tuningBudget: tuningBudget, profiling: profiling,
                                  gemmOverride: gemmOverride)
    }

    /// Measured GFLOP/s of one m x n x k GEMM (C = A B, no transposes) with the device's default or given
    /// parameters, for Perf and `llmatic devices --bench`.
    public static func gemmGFLOPS(device: OpenCLDevice, m: Int, n: Int, k: Int,
                                  parameters: GemmParameters? = nil, repeats: Int = 3) throws -> Double {
        let runtime = try DeviceRuntime.shared(device)
        let bench = try GemmBench(runtime: runtime, shape: GemmShape(m: m, n: n, k: k))
        let p = parameters ?? GemmParameters.defaultFor(device)
        let seconds = try bench.time(p, repeats: repeats)
        return GemmShape(m: m, n: n, k: k).flops / seconds / 1e9
    }
}
