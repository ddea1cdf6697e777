import Foundation

/// What tuning one GEMM shape found: the parameters now used for it and the speed with them and with the
/// device default (same operands, best of a few runs).
public struct GemmTuningResult: Sendable {
    public var shape: GemmShape
    public var chosen: GemmParameters
    public var defaultParameters: GemmParameters
    public var defaultGFLOPS: Double
    public var chosenGFLOPS: Double
    /// True when the choice came from the cache (tuned before on this device and driver).
    public var cached: Bool
}

extension OpenCLBackend {
    /// Runs the GEMM autotuner on `shapes` (largest first) within `budgetSeconds`, saves the choices in the
    /// per-device cache that every later `load` reads, and times each shape with its choice and the default.
    /// Shapes the budget did not reach keep the default and are reported with it.
    public func tuneGemm(_ shapes: [GemmShape], budgetSeconds: Double,
                         progress: ((GemmShape, Int, Int) -> Void)? = nil) throws -> [GemmTuningResult] {
        try tuneGemm(shapes, budgetSeconds: budgetSeconds, cacheFile: GemmTuner.cacheURL, progress: progress)
    }

    func tuneGemm(_ shapes: [GemmShape], budgetSeconds: Double, cacheFile: URL,
                  progress: ((GemmShape, Int, Int) -> Void)? = nil) throws -> [GemmTuningResult] {
        let runtime = try DeviceRuntime.shared(device)
        let tuner = GemmTuner(runtime: runtime, budgetSeconds: budgetSeconds, cacheFile: cacheFile)
        let before = GemmTuner.loadCache(tuner.cacheFile)
        let ordered = shapes.sorted { $0.flops > $1.flops }
        let selector = GemmSelector(runtime: runtime)
        selector.chosen = tuner.tune(ordered, progress: progress)
        return try ordered.map { shape in
            let fallback = GemmParameters.defaultFor(device, shape: shape)
            let bench = try GemmBench(runtime: runtime, shape: shape)
            let p = selector.parameters(for: shape)
            let base = shape.flops / (try bench.time(fallback, repeats: 3)) / 1e9
            let tuned = p == fallback ? base : shape.flops / (try bench.time(p, repeats: 3)) / 1e9
            return GemmTuningResult(shape: shape, chosen: p, defaultParameters: fallback, defaultGFLOPS: base,
                                    chosenGFLOPS: tuned, cached: before[tuner.key(shape)] != nil)
        }
    }
}
