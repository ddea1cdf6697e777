import XCTest
import OpTable
import COpenCL
import Engine
import NetIR
@testable import OpenCLBackend

/// gemm.cl against a plain Swift loop that follows the kernel's documented addressing, for every parameter
/// set of the defaults table (so the GPU paths, local staging and vector widths, run on PoCL too).
final class GemmTests: XCTestCase {
    /// Parameter sets under test: the defaults table, the conservative reference, and shapes that stress the
    /// mapping (VW 8, non-square work-groups, direct reads, the CPU path's chunked copy of B).
    var parameterSets: [GemmParameters] {
        var sets = [GemmParameters.conservative] + GemmParameters.defaults.map(\.parameters)
        sets += GemmParameters.gpuFewRows.map(\.parameters)
        sets.append(GemmParameters(mwg: 64, nwg: 32, kwg: 8, mdimc: 8, ndimc: 8, vwm: 8, vwn: 4, localStaging: true))
        sets.append(GemmParameters(mwg: 16, nwg: 64, kwg: 32, mdimc: 4, ndimc: 16, vwm: 2, vwn: 1, localStaging: false))
        sets.append(GemmParameters(mwg: 8, nwg: 32, kwg: 8, mdimc: 4, ndimc: 2, vwm: 1, vwn: 4, localStaging: false))
        // CPU path with one work-item copying several chunks of B per row, and K blocks shorter than K.
        sets.append(GemmParameters(mwg: 6, nwg: 16, kwg: 4, mdimc: 1, ndimc: 1, vwm: 1, vwn: 8, localStaging: false))
        var unique: [GemmParameters] = []
        for p in sets where !unique.contains(p) { unique.append(p) }
        return unique
    }

    /// A = arena, B = parameters, C = gradients, bias = buffers (region names only label test buffers here).
    func run(_ call: GemmCall, _ p: GemmParameters, a: [Float], b: [Float], c: [Float], bias: [Float]) throws -> [Float] {
        let runtime = try DeviceRuntime.shared(try TestDevice.require())
        let queue = try CommandQueue(runtime, profiling: false)
        var memory: [Region: Buffer] = [:]
        for (region, values) in [(Region.arena, a), (.parameters, b), (.gradients, c), (.buffers, bias)] {
            let buffer = try runtime.buffer(bytes: 4 * values.count, queue: queue, what: "\(region)")
            try values.withUnsafeBytes { raw in
                try check(clEnqueueWriteBuffer(queue.queue, buffer.mem, cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "write")
            }
            memory[region] = buffer
        }
        let output = try XCTUnwrap(memory[.gradients])
        let lowering = Lowering(sizes: WorkSizes(reduction: 64, element: 64), workspaceCap: 1 << 20) { _ in p }
        let launch = lowering.gemm(call)
        let kernel = try runtime.program(["common.cl", "gemm.cl"], defines: p.defines).kernel("gemm")
        _ = try kernel.bind(launch.args) { region in (region.flatMap { memory[$0] } ?? output).mem }
        try check(clEnqueueNDRangeKernel(queue.queue, kernel.kernel, 3, nil, launch.global, launch.local, 0, nil, nil), "enqueue")
        var out = [Float](repeating: 0, count: c.count)
        try out.withUnsafeMutableBytes { raw in
            try check(clEnqueueReadBuffer(queue.queue, output.mem, cl_bool(CL_TRUE), 0, raw.count, raw.baseAddress, 0, nil, nil), "read")
        }
        return out
    }

    /// The kernel's contract in plain loops (Double accumulation).
    func expected(_ g: GemmCall, a: [Float], b: [Float], c: [Float], bias: [Float]) -> [Float] {
        var out = c
        func column(_ n: Int, _ split: (Int, Int)?) -> Int { split.map { (n / $0.0) * $0.1 + n % $0.0 } ?? n }
        for z in 0..<g.batches {
            for m in 0..<g.m {
                for n in 0..<g.n {
                    var sum = 0.0
                    for k in 0..<g.k {
                        let av = a[g.a.offset + z * g.strideA + (g.transA ? k * g.lda + m : m * g.lda + k)]
                        let bv = b[g.b.offset + z * g.strideB + (g.transB ? n * g.ldb + k : k * g.ldb + column(n, g.splitB))]
                        sum += Double(av) * Double(bv)
                    }
                    let at = g.c.offset + z * g.strideC + m * g.ldc + column(n, g.splitC)
                    var v = Double(g.alpha) * sum
                    if g.beta != 0 { v += Double(g.beta) * Double(c[at]) }
                    if g.bias.isPresent { v += Double(bias[g.bias.offset + z * g.strideBias + (g.biasPerColumn ? n : m)]) }
                    if g.activation == .relu { v = max(v, 0) }
                    out[at] = Float(v)
                }
            }
        }
        return out
    }

    func verify(_ call: GemmCall, sizes: (a: Int, b: Int, c: Int, bias: Int), _ p: GemmParameters, _ what: String) throws {
        let a = randomValues(sizes.a, seed: 1), b = randomValues(sizes.b, seed: 2)
        let c = randomValues(sizes.c, seed: 3), bias = randomValues(max(sizes.bias, 1), seed: 4)
        let got = try run(call, p, a: a, b: b, c: c, bias: bias)
        assertClose(got, expected(call, a: a, b: b, c: c, bias: bias), Tolerances.OpenCL.gemm, "\(what) with \(p)")
    }

    func testPlainShapesAndTransposes() throws {
        _ = try TestDevice.require()
        let shapes = [(1, 1, 1), (3, 31, 33), (65, 33, 31), (33, 65, 3), (31, 1, 65), (64, 64, 64)]
        for p in parameterSets {
            for (m, n, k) in shapes {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    let call = GemmCall(m: m, n: n, k: k, a: .tensor(TensorRef(.arena, offset: 0, count: 0)), lda: ta ? m : k,
                                        b: .tensor(TensorRef(.parameters, offset: 0, count: 0)), ldb: tb ? k : n,
                                        c: .tensor(TensorRef(.gradients, offset: 0, count: 0)), ldc: n, transA: ta, transB: tb)
                    try verify(call, sizes: (m * k, k * n, m * n, 0), p, "\(m)x\(n)x\(k) \(ta ? "T" : "N")\(tb ? "T" : "N")")
                }
            }
        }
    }

    /// Offsets, alpha/beta accumulation, bias per row and per column with ReLU, two batch entries with strides,
    /// and split columns in B and C (NCHW tensors viewed as [channels, batch*plane]).
    func testEpilogueBatchesAndSplits() throws {
        _ = try TestDevice.require()
        // Planes of 7 columns split most vector chunks; planes of 16 keep them whole (the CPU path's vector epilogue).
        for plane in [7, 16] {
            let (m, samples, k) = (5, 3, 6)
            let n = plane * samples
            for p in parameterSets {
                for perColumn in [false, true] {
                    let call = GemmCall(m: m, n: n, k: k, a: .tensor(TensorRef(.arena, offset: 3, count: 0)), lda: k,
                                        b: .tensor(TensorRef(.parameters, offset: 2, count: 0)), ldb: plane,
                                        c: .tensor(TensorRef(.gradients, offset: 1, count: 0)), ldc: plane,
                                        alpha: 0.5, beta: 1, strideA: m * k, strideB: k * plane, strideC: m * plane,
                                        splitB: (plane, 2 * k * plane), splitC: (plane, 2 * m * plane),
                                        bias: TensorRef(.buffers, offset: 1, count: 0), strideBias: perColumn ? n : m,
                                        biasPerColumn: perColumn, activation: .relu, batches: 2)
                    try verify(call, sizes: (3 + 2 * m * k, 2 + samples * 2 * k * plane, 1 + samples * 2 * m * plane, 1 + 2 * n),
                              p, "epilogue plane \(plane) perColumn \(perColumn)")
                }
            }
        }
    }

    /// Split K: each slice writes its partial product; the slices sum to the full product.
    func testSplitKSlicesSumToTheProduct() throws {
        _ = try TestDevice.require()
        let (m, n, k) = (5, 7, 70)
        for p in parameterSets {
            for slices in [2, 3] {
                var call = GemmCall(m: m, n: n, k: k, a: .tensor(TensorRef(.arena, offset: 0, count: 0)), lda: k,
                                    b: .tensor(TensorRef(.parameters, offset: 0, count: 0)), ldb: n,
                                    c: .tensor(TensorRef(.gradients, offset: 0, count: 0)), ldc: n)
                let a = randomValues(m * k, seed: 5), b = randomValues(k * n, seed: 6)
                let want = expected(call, a: a, b: b, c: [Float](repeating: 0, count: m * n), bias: [0])
                call.slices = slices
                call.sliceStrideC = m * n
                let parts = try run(call, p, a: a, b: b, c: [Float](repeating: 0, count: slices * m * n), bias: [0])
                let sum = (0..<(m * n)).map { i in (0..<slices).reduce(Float(0)) { $0 + parts[$1 * m * n + i] } }
                assertClose(sum, want, Tolerances.OpenCL.gemm, "split-K \(slices) with \(p)")
            }
        }
    }

    /// Whole training steps with GPU-style parameters forced for every GEMM (local staging, vectors).
    func testNetworkStepWithGPUParameters() throws {
        let device = try TestDevice.require()
        let graph = try BuiltinNetwork.smallcnn.graph(input: TensorShape(channels: 1, height: 12, width: 12))
        for p in [GemmParameters.defaults[1].parameters, GemmParameters.conservative] {
            var backend = OpenCLBackend(device: device, tune: false)
            backend.gemmOverride = p
            try compareWithReference(graph, batch: 3, tolerance: Tolerances.network(on: .openCL), backend: backend)
        }
    }

    /// GPUs get a fewer-rows tile for M <= 16 and M <= 32 (every other shape, and every shape on a CPU, keeps
    /// the device default); a tile the device cannot run is skipped.
    func testFewRowsDefaultOnGPUsOnly() {
        let gpu = GemmParameters.defaults.first { $0.match == "vendor:nvidia" }!.parameters
        let rows = { (m: Int, kind: OpenCLDevice.Kind) in GemmParameters.fitted(gpu, kind: kind, m: m) { _ in true }.mwg }
        XCTAssertEqual([1, 16, 17, 32, 33, 64, 128].map { rows($0, .gpu) }, [16, 16, 32, 32, 64, 64, 64])
        XCTAssertEqual([1, 16, 32, 128].map { rows($0, .cpu) }, [64, 64, 64, 64])
        XCTAssertEqual(GemmParameters.fitted(gpu, kind: .gpu, m: 16) { $0.mwg != 16 }.mwg, 32)
        let cpuPath = GemmParameters.defaults[0].parameters
        XCTAssertEqual(GemmParameters.fitted(cpuPath, kind: .gpu, m: 8) { _ in true }, cpuPath, "the CPU path is never swapped")
    }

    /// GFLOP/s of square GEMMs with the device's default parameters (printed; no timing asserts).
    func testGemmThroughputSquares() throws {
        let device = try TestDevice.require()
        for size in [256, 512, 1024] {
            let gflops = try OpenCLBackend.gemmGFLOPS(device: device, m: size, n: size, k: size)
            print(String(format: "GEMM %4d^3 on %@: %.1f GFLOP/s (%@)", size, device.name, gflops,
                         GemmParameters.defaultFor(device).description))
            XCTAssertGreaterThan(gflops, 0)
        }
    }

    func testTunerRejectsWrongResultsAndCachesChoices() throws {
        let runtime = try DeviceRuntime.shared(try TestDevice.require())
        XCTAssertTrue(GemmTuner.matches([1, 2, 3.00001], [1, 2, 3]))
        XCTAssertFalse(GemmTuner.matches([1, 2, 3.1], [1, 2, 3]))
        XCTAssertFalse(GemmTuner.matches([1, .nan, 3], [1, 2, 3]))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmatic-tune-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        var tuner = GemmTuner(runtime: runtime, budgetSeconds: 30)
        tuner.cacheFile = dir.appendingPathComponent("tuning.json")
        tuner.candidates = [GemmParameters.defaultFor(runtime.device), .conservative, parameterSets[parameterSets.count - 1]]
        let shape = GemmShape(m: 96, n: 80, k: 72, transA: true)
        let first = tuner.tune([shape])
        let chosen = try XCTUnwrap(first[shape])
        XCTAssertTrue(tuner.candidates?.contains(chosen) ?? false)
        let text = try String(contentsOf: tuner.cacheFile, encoding: .utf8)
        XCTAssertTrue(text.contains(runtime.device.name) && text.contains(shape.description), text)
        // Cached: no budget needed the second time.
        let cachedTuner = GemmTuner(runtime: runtime, budgetSeconds: 0, candidates: [], cacheFile: tuner.cacheFile)
        XCTAssertEqual(cachedTuner.tune([shape])[shape], chosen)
    }

    /// `llmatic tune`'s entry point: every shape gets a result whose parameters compute the right product,
    /// and the second call finds the choice in the cache.
    func testTuneGemmReportsEveryShapeAndCaches() throws {
        let device = try TestDevice.require()
        let backend = OpenCLBackend(device: device, tune: false)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmatic-tunegemm-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tuning.json")
        let shapes = [GemmShape(m: 40, n: 72, k: 24), GemmShape(m: 8, n: 16, k: 8, transB: true)]
        let first = try backend.tuneGemm(shapes, budgetSeconds: 4, cacheFile: file)
        XCTAssertEqual(Set(first.map(\.shape)), Set(shapes))
        XCTAssertFalse(first.contains { $0.cached })
        let runtime = try DeviceRuntime.shared(device)
        for r in first {
            XCTAssertGreaterThan(r.chosenGFLOPS, 0)
            let bench = try GemmBench(runtime: runtime, shape: r.shape)
            XCTAssertTrue(GemmTuner.matches(try bench.result(r.chosen), try bench.result(.conservative)), "\(r.shape) \(r.chosen)")
        }
        let second = try backend.tuneGemm(shapes, budgetSeconds: 0, cacheFile: file)
        let tunedBefore = Set(first.filter { $0.chosen != $0.defaultParameters }.map(\.shape))
        for r in second where tunedBefore.contains(r.shape) { XCTAssertTrue(r.cached, "\(r.shape)") }
        XCTAssertEqual(second.map(\.chosen), first.map(\.chosen))
    }
}
