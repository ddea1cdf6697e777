import COpenCL
import Engine

/// One GEMM problem's operands on a device, exposed raw so a benchmark can run our kernel and another
/// OpenCL library on the very same buffers and queue (C = A B, row-major, A is M x K, B is K x N, C is M x N).
public final class OpenCLGemmProbe {
    public let shape: GemmShape
    private let bench: GemmBench
    private var kernels: [GemmParameters: Kernel] = [:]

    public var queue: cl_command_queue { bench.queue.queue }
    public var a: cl_mem { bench.a.mem }
    public var b: cl_mem { bench.b.mem }
    public var c: cl_mem { bench.c.mem }

    public init(device: OpenCLDevice, shape: GemmShape) throws {
        self.shape = shape
        bench = try GemmBench(runtime: try DeviceRuntime.shared(device), shape: shape)
    }

    /// Enqueues our gemm kernel with `parameters` (built and bound once per parameter set; no wait).
    public func enqueue(_ parameters: GemmParameters) throws {
        let kernel = try kernels[parameters] ?? bench.bind(parameters)
        kernels[parameters] = kernel
        try bench.launch(kernel, parameters)
    }

    public func finish() throws { try bench.queue.finish() }

    /// C as it is now (waits for the queue).
    public func readC() throws -> [Float] { try bench.readC() }

    /// Overwrites C with NaN so a library that writes nothing cannot pass for one that agrees.
    public func poisonC() throws {
        var nan = Float.nan
        try check(clEnqueueFillBuffer(queue, c, &nan, 4, 0, 4 * shape.m * shape.n, 0, nil, nil), "clEnqueueFillBuffer")
        try finish()
    }

    /// The parameters a loaded plan would use for `shape` on `device`, and where they come from: the tuner's
    /// cached choice when the backend tunes on this device ("tuned"), else the device default ("default"),
    /// replaced by the conservative set when a kernel does not build or fit ("conservative").
    public static func backendChoice(device: OpenCLDevice, shape: GemmShape) throws -> (parameters: GemmParameters, source: String) {
        let runtime = try DeviceRuntime.shared(device)
        let selector = GemmSelector(runtime: runtime)
        var source = "default"
        if OpenCLBackend(device: device).tune,
           let tuned = GemmTuner(runtime: runtime, budgetSeconds: 0).tune([shape])[shape] {
            selector.chosen[shape] = tuned
            source = "tuned"
        }
        let p = selector.parameters(for: shape)
        if p == .conservative && p != (selector.chosen[shape] ?? GemmParameters.defaultFor(device, shape: shape)) { source = "conservative" }
        return (p, source)
    }
}
