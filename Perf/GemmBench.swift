import CBLAS
import CPUBackend
import Engine
import Foundation
import NetIR

/// Dense random matrices for GEMM timings.
final class Matrices {
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    init(m: Int, n: Int, k: Int) {
        a = .allocate(capacity: m * k); b = .allocate(capacity: k * n); c = .allocate(capacity: m * n)
        var rng = SplitMix64(seed: 1)
        for i in 0..<(m * k) { a[i] = rng.uniform(1) }
        for i in 0..<(k * n) { b[i] = rng.uniform(1) }
        c.initialize(repeating: 0, count: m * n)
    }
    deinit { a.deallocate(); b.deallocate(); c.deallocate() }
}

enum GemmTiming {
    /// Seconds of one direct cblas_sgemm (row-major, no transposes) with OpenBLAS using `threads` threads.
    static func direct(m: Int, n: Int, k: Int, threads: Int, quick: Bool) -> Double {
        let x = Matrices(m: m, n: n, k: k)
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        return Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.01 : 0.03) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, x.a, Int32(k),
                        x.b, Int32(n), 0, x.c, Int32(n))
        }
    }

    /// Seconds of the same product through our wrapper (our pool around single-threaded OpenBLAS).
    static func ours(_ gemm: CPUGemm, m: Int, n: Int, k: Int, quick: Bool) -> Double {
        let x = Matrices(m: m, n: n, k: k)
        return Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.01 : 0.03) {
            gemm.multiply(m: m, n: n, k: k, a: x.a, b: x.b, c: x.c)
        }
    }

    /// The best raw sgemm rate for a shape: OpenBLAS threaded, or our split (whichever is faster), in GFLOP/s.
    static func bestRate(_ gemm: CPUGemm, m: Int, n: Int, k: Int, quick: Bool) -> Double {
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let t = min(direct(m: m, n: n, k: k, threads: Machine.cores, quick: quick), ours(gemm, m: m, n: n, k: k, quick: quick))
        return flops / t / 1e9
    }
}

extension Benchmarks {
    /// Per-sample GEMM shapes (M, N, K) of the built-in networks' convolutions on 1x28x28.
    static func convGemmShapes() -> [(String, Int, Int, Int)] {
        var shapes: [(String, Int, Int, Int)] = []
        for net in [BuiltinNetwork.smallcnn, .resnet8] {
            guard let graph = try? net.graph(input: LoadedNet.fashionShape),
                  let plan = try? PlanCompiler.compile(graph, options: PlanOptions(batchSize: 1)) else { continue }
            for ins in plan.evalProgram {
                if case .conv2d(let g, _) = ins.op {
                    shapes.append(("\(net.rawValue).\(ins.node)", g.outChannels / g.groups, g.outputPlane, g.patchSize))
                }
            }
        }
        return shapes
    }

    static let sgemm = Benchmark(name: "sgemm", summary: "our sgemm wrapper (pool + 1-thread OpenBLAS) vs direct cblas_sgemm with OpenBLAS threads") { ctx in
        let gemm = CPUGemm(threads: Machine.cores)
        var cases: [(String, Int, Int, Int)] = (ctx.quick ? [256, 1024] : [256, 512, 1024, 2048]).map { ("square", $0, $0, $0) }
        cases += convGemmShapes().map { ($0.0, $0.1, $0.2, $0.3) }
        // Whole-batch shapes (N = batch·P) of the heaviest convolutions.
        cases += [("smallcnn.conv2 b128", 64, 128 * 196, 288), ("resnet8.s1_conv1 b128", 16, 128 * 784, 144)]
        var results: [BenchResult] = []
        for (label, m, n, k) in cases {
            let flops = 2 * Double(m) * Double(n) * Double(k)
            let ours = flops / GemmTiming.ours(gemm, m: m, n: n, k: k, quick: ctx.quick) / 1e9
            let direct = flops / GemmTiming.direct(m: m, n: n, k: k, threads: Machine.cores, quick: ctx.quick) / 1e9
            results.append(BenchResult(name: "sgemm \(label)", shape: "\(m)x\(n)x\(k)", ours: ours, unit: "GFLOP/s",
                                       reference: direct, referenceName: "cblas \(Machine.cores)t",
                                       roofline: Roofline.compute(gflops: ours, group: "GEMM")))
        }
        let dispatch = CPUDiagnostics.poolDispatchNanoseconds(threads: Machine.cores)
        results.append(BenchResult(name: "pool dispatch", shape: "\(Machine.cores) threads, empty region", ours: dispatch / 1000,
                                   unit: "µs", reference: nil, referenceName: "", note: "target 1-5 µs"))
        return results
    }
}
