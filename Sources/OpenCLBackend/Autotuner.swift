import COpenCL
import Engine
import Foundation

/// Picks GEMM parameters per shape: the tuned choice when there is one, else the device default, and only
/// parameters whose kernel builds and fits the device's work-group limit for it (else the conservative set).
final class GemmSelector {
    let runtime: DeviceRuntime
    var chosen: [GemmShape: GemmParameters] = [:]
    /// Tests force one parameter set for every shape (exercising the GPU code paths on a CPU device).
    var override: GemmParameters?
    private var usable: [GemmParameters: Bool] = [:]

    init(runtime: DeviceRuntime) { self.runtime = runtime }

    func parameters(for shape: GemmShape) -> GemmParameters {
        let preferred = override ?? chosen[shape] ?? GemmParameters.defaultFor(runtime.device, shape: shape)
        return works(preferred) ? preferred : .conservative
    }

    private func works(_ p: GemmParameters) -> Bool {
        if let known = usable[p] { return known }
        let ok = (try? GemmBench.kernel(runtime, p)).map { $0.maxWorkGroupSize(runtime.device.handle.id) >= p.threads } ?? false
        usable[p] = ok
        return ok
    }
}

/// Times one GEMM shape on the device with deterministic operands; shared by the tuner and benchmarks.
struct GemmBench {
    let runtime: DeviceRuntime
    let shape: GemmShape
    let queue: CommandQueue
    let a, b, c: Buffer

    static func kernel(_ runtime: DeviceRuntime, _ p: GemmParameters) throws -> Kernel {
        try runtime.program(["common.cl", "gemm.cl"], defines: p.defines).kernel("gemm")
    }

    init(runtime: DeviceRuntime, shape: GemmShape) throws {
        self.runtime = runtime
        self.shape = shape
        let queue = try CommandQueue(runtime, profiling: false)
        self.queue = queue
        var rng = SplitMix64(seed: 0x5eed)
        func upload(_ count: Int) throws -> Buffer {
            let buffer = try runtime.buffer(bytes: 4 * count, queue: queue, what: "tuning operand")
            let values = (0..<count).map { _ in rng.uniform(1) }
            try values.withUnsafeBytes { raw in
                try check(clEnqueueWriteBuffer(queue.queue, buffer.mem, cl_bool(CL_TRUE), 0, 4 * count, raw.baseAddress, 0, nil, nil),
                          "clEnqueueWriteBuffer")
            }
            return buffer
        }
        let (a, b, c) = (try upload(shape.m * shape.k), try upload(shape.k * shape.n), try upload(shape.m * shape.n))
        self.a = a; self.b = b; self.c = c
    }

    /// Runs C = A B once with `p` and returns C.
    func result(_ p: GemmParameters) throws -> [Float] {
        try enqueue(p, times: 1)
        return try readC()
    }

    /// C as it is now (a blocking read, so it waits for the queue).
    func readC() throws -> [Float] {
        var values = [Float](repeating: 0, count: shape.m * shape.n)
        try values.withUnsafeMutableBytes { raw in
            try check(clEnqueueReadBuffer(queue.queue, c.mem, cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil),
                      "clEnqueueReadBuffer")
        }
        return values
    }

    /// Best wall time of `repeats` runs (after one warm-up), in seconds.
    func time(_ p: GemmParameters, repeats: Int) throws -> Double {
        try enqueue(p, times: 1)
        try queue.finish()
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try enqueue(p, times: 1)
            try queue.finish()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return best
    }

    private func enqueue(_ p: GemmParameters, times: Int) throws {
        let k = try bind(p)
        for _ in 0..<times { try launch(k, p) }
    }

    /// A gemm kernel built with `p`, every argument bound to C = A B on this bench's buffers.
    func bind(_ p: GemmParameters) throws -> Kernel {
        let k = try GemmBench.kernel(runtime, p)
        let s = shape
        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
        let ints: [(Int, Int)] = [(0, s.m), (1, s.n), (2, s.k), (5, s.transA ? 1 : 0), (6, s.transB ? 1 : 0),
                                  (8, 0), (9, lda), (10, 0), (12, 0), (13, ldb), (14, 0), (15, s.n), (16, 0),
                                  (18, 0), (19, s.n), (20, 0), (21, s.n), (22, 0), (24, 0), (25, 0), (26, 0), (27, 0),
                                  (29, 1), (30, s.k), (31, 0)]
        for (i, v) in ints { try k.set(i, int: Int32(v)) }
        try k.set(3, float: 1)
        try k.set(4, float: 0)
        try k.set(28, float: 0)
        try k.set(7, a.mem)
        try k.set(11, b.mem)
        try k.set(17, c.mem)
        try k.set(23, c.mem)
        return k
    }

    /// Enqueues a kernel from `bind(p)` once (no wait).
    func launch(_ k: Kernel, _ p: GemmParameters) throws {
        let s = shape
        let global = [(s.m + p.mwg - 1) / p.mwg * p.mdimc, (s.n + p.nwg - 1) / p.nwg * p.ndimc, 1]
        let local = [p.mdimc, p.ndimc, 1]
        try check(clEnqueueNDRangeKernel(queue.queue, k.kernel, 3, nil, global, local, 0, nil, nil), "clEnqueueNDRangeKernel(gemm)")
    }
}

/// The GEMM autotuner. For each shape: run the conservative reference configuration, then candidates that
/// fit the device (`GemmParameters.candidates`), rejecting any whose result differs from the reference, and
/// keep the fastest. Choices persist as JSON keyed by device name, driver version and shape, so a shape is
/// tuned once per device and driver. The whole call stays within `budgetSeconds` (a candidate in flight may
/// finish); untuned shapes keep the defaults.
struct GemmTuner {
    let runtime: DeviceRuntime
    let budgetSeconds: Double
    var candidates: [GemmParameters]? = nil
    var cacheFile: URL = GemmTuner.cacheURL

    /// `$XDG_CACHE_HOME/llmatic/tuning.json`, else `~/.cache/llmatic/tuning.json`.
    static var cacheURL: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("llmatic").appendingPathComponent("tuning.json")
    }

    func key(_ shape: GemmShape) -> String {
        "\(runtime.device.name)|\(runtime.device.driverVersion)|gemm|\(shape)"
    }

    /// Tuned parameters for `shapes` (cached ones without running anything).
    /// `progress` hears of each shape (index from 1, count) before it is looked up or tuned. The cache is saved
    /// after every newly tuned shape, so a run stopped midway keeps what it measured.
    func tune(_ shapes: [GemmShape], progress: ((GemmShape, Int, Int) -> Void)? = nil) -> [GemmShape: GemmParameters] {
        var cache = Self.loadCache(cacheFile)
        var result: [GemmShape: GemmParameters] = [:]
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(budgetSeconds, 0) * 1e9)
        for (i, shape) in shapes.enumerated() {
            progress?(shape, i + 1, shapes.count)
            if let known = cache[key(shape)] { result[shape] = known; continue }
            guard DispatchTime.now().uptimeNanoseconds < deadline else { continue }
            if let best = tuneOne(shape, deadline: deadline) {
                result[shape] = best
                cache[key(shape)] = best
                Self.saveCache(cache, to: cacheFile)
            }
        }
        return result
    }

    /// The fastest candidate that matches the reference, or nil if nothing could be measured.
    func tuneOne(_ shape: GemmShape, deadline: UInt64) -> GemmParameters? {
        guard let bench = try? GemmBench(runtime: runtime, shape: shape),
              let reference = try? bench.result(.conservative) else { return nil }
        var best: (GemmParameters, Double)?
        for p in candidates ?? GemmParameters.candidates(for: runtime.device, shape: shape) {
            if DispatchTime.now().uptimeNanoseconds >= deadline && best != nil { break }
            guard let out = try? bench.result(p), Self.matches(out, reference) else { continue }   // a wrong kernel never wins
            guard let seconds = try? bench.time(p, repeats: 3) else { continue }
            if best == nil || seconds < best?.1 ?? .infinity { best = (p, seconds) }
        }
        return confirmed(best?.0, bench)
    }

    /// A winner of three short runs may just have been lucky on a busy machine: it replaces the shape's default
    /// only if it is still at least 3% faster when both are timed again, alternately, best of five each.
    func confirmed(_ winner: GemmParameters?, _ bench: GemmBench) -> GemmParameters? {
        let fallback = GemmParameters.defaultFor(runtime.device, shape: bench.shape)
        guard let winner, winner != fallback, (try? bench.result(fallback)) != nil else { return winner }
        var bestWinner = Double.infinity, bestDefault = Double.infinity
        for _ in 0..<5 {
            guard let w = try? bench.time(winner, repeats: 1), let d = try? bench.time(fallback, repeats: 1) else { return winner }
            bestWinner = min(bestWinner, w)
            bestDefault = min(bestDefault, d)
        }
        return bestWinner < 0.97 * bestDefault ? winner : fallback
    }

    /// A candidate's result agrees with the reference configuration's up to Float reassociation.
    static func matches(_ out: [Float], _ reference: [Float]) -> Bool {
        guard out.count == reference.count else { return false }
        let scale = reference.reduce(Float(0)) { max($0, abs($1)) }
        for i in out.indices where !(abs(out[i] - reference[i]) <= 1e-4 * scale + 1e-5) { return false }
        return true
    }

    static func loadCache(_ url: URL) -> [String: GemmParameters] {
        guard let data = try? Data(contentsOf: url),
              let entries = try? JSONDecoder().decode([String: GemmParameters].self, from: data) else { return [:] }
        return entries
    }

    static func saveCache(_ entries: [String: GemmParameters], to url: URL) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(entries) else { return }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: url, options: .atomic)   // a lost cache only costs a re-tune
    }
}
