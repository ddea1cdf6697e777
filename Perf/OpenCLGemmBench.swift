import Engine
import Foundation
import OpenCLBackend

/// The OpenCL device the opencl-* benchmarks run on, and a line naming it (and the OpenCL platform version).
enum OpenCLBench {
    static let device: Result<OpenCLDevice, BenchError> = {
        do { return .success(try OpenCLDevice.select("opencl")) } catch { return .failure(BenchError("no OpenCL device: \(error)")) }
    }()

    static var deviceNote: String {
        switch device {
        case .success(let d): return "device \(d.name) (\(d.kind.rawValue)), \(d.platformVersion.split(separator: " ").prefix(4).joined(separator: " "))"
        case .failure(let e): return e.description
        }
    }

    /// Against the CPU's sgemm peak when the OpenCL device is the CPU itself (PoCL): the same silicon. A GPU's
    /// peak is not measured, so its rows have none.
    static func roofline(gflops: Double, group: String) -> RooflinePoint? {
        guard case .success(let d) = device, d.kind.rawValue == "cpu" else { return nil }
        return Roofline.compute(gflops: gflops, group: group)
    }

    /// `48x32x64 wg 8x2 v1x8 cpu`: tile MWGxNWGxKWG, work-group, vector widths, kernel path (local staging,
    /// the CPU path, or scalar direct reads).
    static func compact(_ p: GemmParameters) -> String {
        let path = p.localStaging ? "local" : p.vwn > 1 ? "cpu" : "direct"
        return "\(p.mwg)x\(p.nwg)x\(p.kwg) wg \(p.mdimc)x\(p.ndimc) v\(p.vwm)x\(p.vwn) \(path)"
    }

    /// `MWG=32 NWG=64 ...` (GemmParameters.description) back to parameters; missing keys keep the CPU default.
    static func parse(_ text: String) -> GemmParameters? {
        var v: [String: Int] = [:]
        for field in text.split(separator: " ") {
            let kv = field.split(separator: "=")
            guard kv.count == 2, let n = Int(kv[1]) else { return nil }
            v[String(kv[0]).uppercased()] = n
        }
        return GemmParameters(mwg: v["MWG"] ?? 32, nwg: v["NWG"] ?? 64, kwg: v["KWG"] ?? 16, mdimc: v["MDIMC"] ?? 8,
                              ndimc: v["NDIMC"] ?? 4, vwm: v["VWM"] ?? 1, vwn: v["VWN"] ?? 8, localStaging: (v["LOCAL"] ?? 0) != 0)
    }

    /// Largest |x - y| over the largest |y| (NaN anywhere counts as disagreement).
    static func relativeDifference(_ x: [Float], _ y: [Float]) -> Double {
        var diff = 0.0, scale = 0.0
        for i in x.indices {
            let d = Double(abs(x[i] - y[i]))
            if !d.isFinite { return .infinity }
            diff = max(diff, d); scale = max(scale, Double(abs(y[i])))
        }
        return diff / max(scale, 1e-30)
    }

    /// Seconds per call of `enqueue` + clFinish (harness rounds; warm-up first).
    static func time(_ probe: OpenCLGemmProbe, quick: Bool, _ enqueue: () throws -> Void) throws -> Double {
        var failure: Error?
        let t = Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.01 : 0.03) {
            do { try enqueue(); try probe.finish() } catch { failure = error }
        }
        if let failure { throw failure }
        return t
    }
}

extension Benchmarks {
    /// The shapes of the sgemm benchmark (squares, per-sample conv GEMMs, whole-batch conv GEMMs).
    static func openCLGemmCases(quick: Bool) -> [(String, Int, Int, Int)] {
        var cases: [(String, Int, Int, Int)] = (quick ? [256, 512, 1024] : [256, 512, 1024, 2048]).map { ("square", $0, $0, $0) }
        cases += convGemmShapes().map { ($0.0, $0.1, $0.2, $0.3) }
        cases += [("smallcnn.conv2 b128", 64, 128 * 196, 288), ("resnet8.s1_conv1 b128", 16, 128 * 784, 144)]
        return cases
    }

    static let openCLGemm = Benchmark(
        name: "opencl-gemm",
        summary: "our OpenCL SGEMM (gemm.cl, the parameters a loaded plan would use) vs CLBlast's CLBlastSgemm out of the box (its default tuning), same device, buffers and queue; wall time of enqueue + clFinish",
        run: { ctx in
            let device = try OpenCLBench.device.get()
            let clblast = CLBlast.shared
            var results: [BenchResult] = []
            for (label, m, n, k) in openCLGemmCases(quick: ctx.quick) {
                let shape = GemmShape(m: m, n: n, k: k)
                let probe = try OpenCLGemmProbe(device: device, shape: shape)
                let (p, source) = try OpenCLGemmProbe.backendChoice(device: device, shape: shape)
                try probe.poisonC()
                try probe.enqueue(p)
                let ours = try probe.readC()
                var note = "ours: \(source) \(OpenCLBench.compact(p))"
                var reference: Double?
                switch clblast {
                case .failure(let e): note += "; \(e)"
                case .success(let lib):
                    try probe.poisonC()
                    try lib.multiply(m: m, n: n, k: k, a: probe.a, b: probe.b, c: probe.c, queue: probe.queue)
                    let theirs = try probe.readC()
                    let diff = OpenCLBench.relativeDifference(ours, theirs)
                    // A disagreement is shown in the row, never dropped: both are still timed.
                    note += diff == 0 ? "; results identical" : diff <= 1e-4 ? String(format: "; agree (%.1e)", diff)
                        : String(format: "; DISAGREE: max diff %.2e of max |C|", diff)
                    let t = try OpenCLBench.time(probe, quick: ctx.quick) {
                        try lib.multiply(m: m, n: n, k: k, a: probe.a, b: probe.b, c: probe.c, queue: probe.queue)
                    }
                    reference = shape.flops / t / 1e9
                }
                let t = try OpenCLBench.time(probe, quick: ctx.quick) { try probe.enqueue(p) }
                results.append(BenchResult(name: "opencl sgemm \(label)", shape: "\(m)x\(n)x\(k)", ours: shape.flops / t / 1e9,
                                           unit: "GFLOP/s", reference: reference, referenceName: "CLBlast", note: note,
                                           roofline: OpenCLBench.roofline(gflops: shape.flops / t / 1e9, group: "OpenCL GEMM")))
                print("  \(label) \(m)x\(n)x\(k): \(Format.number(results.last?.ours)) vs \(Format.number(reference)) GFLOP/s; \(note)")
            }
            return results
        },
        referenceNote: { "\(OpenCLBench.deviceNote); reference CLBlast (libclblast1) with its default parameters (not tuned for this device)" })

    /// `Perf --gemm-sweep MxNxK[,MxNxK...] "MWG=.. NWG=.. ..." ...`: our kernel with each parameter set (and the
    /// device default) on each shape, GFLOP/s, best of rounds; for kernel work with LLMATIC_KERNELS=Kernels.
    static func gemmSweep(_ arguments: [String]) throws {
        guard let shapesText = arguments.first else {
            print("usage: Perf --gemm-sweep MxNxK[,MxNxK...] [\"MWG=64 NWG=64 KWG=16 MDIMC=8 NDIMC=8 VWM=1 VWN=8 LOCAL=0\" ...]"); return
        }
        let device = try OpenCLBench.device.get()
        let sets = [GemmParameters?.none] + arguments.dropFirst().map { OpenCLBench.parse($0) }
        for text in shapesText.split(separator: ",") {
            let d = text.split(separator: "x").compactMap { Int($0) }
            guard d.count == 3 else { continue }
            let shape = GemmShape(m: d[0], n: d[1], k: d[2])
            let probe = try OpenCLGemmProbe(device: device, shape: shape)
            let (defaultP, _) = try OpenCLGemmProbe.backendChoice(device: device, shape: shape)
            try probe.enqueue(defaultP)
            let want = try probe.readC()
            if case .success(let lib) = CLBlast.shared {
                let t = try OpenCLBench.time(probe, quick: true) {
                    try lib.multiply(m: d[0], n: d[1], k: d[2], a: probe.a, b: probe.b, c: probe.c, queue: probe.queue)
                }
                print(String(format: "%@ %8.2f GFLOP/s %9.1f µs  CLBlast", String(text), shape.flops / t / 1e9, t * 1e6))
            }
            for case let p? in sets.map({ $0 ?? defaultP }) {
                do {
                    try probe.poisonC()
                    try probe.enqueue(p)
                    let diff = OpenCLBench.relativeDifference(try probe.readC(), want)
                    let t = try OpenCLBench.time(probe, quick: true) { try probe.enqueue(p) }
                    print(String(format: "%@ %8.2f GFLOP/s %9.1f µs  %@%@", String(text), shape.flops / t / 1e9, t * 1e6, p.description,
                                 diff > 1e-4 ? String(format: "  WRONG (%.1e)", diff) : ""))
                } catch {
                    print("\(text) failed  \(p): \(error)")
                }
            }
        }
    }
}
