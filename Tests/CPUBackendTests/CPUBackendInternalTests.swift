import XCTest
import NetIR
import Engine
import CPUBackend

/// The CPU backend's own machinery, through its public API: typed allocation failure, the GEMM wrapper's
/// degenerate shapes, the thread pool's dispatch, and executors that come and go without leaking threads.
final class CPUBackendInternalTests: XCTestCase {
    func testHugePlanThrowsOutOfMemoryInsteadOfCrashing() throws {
        // 2^31 elements per image (within NetIR's SizeLimits) at batch 64: 512 GiB per activation tensor.
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 32_768, width: 65_536))
        let x = try b.flatten("flatten", try b.conv2d("conv", b.input, out: 1, kernel: 1))
        let graph = try b.build(output: try b.linear("fc", x, out: 2))
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 64))
        XCTAssertThrowsError(try CPUBackend(threads: 2).load(plan)) { error in
            guard case CPUBackendError.outOfMemory(let bytes) = error else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(bytes, 1 << 30)
        }
    }

    /// m = 1, n = 1 and k = 1 take the GEMV / outer-product paths; all must equal the plain triple loop.
    func testGemmWrapperMatchesPlainProductOnDegenerateShapes() {
        let gemm = CPUGemm(threads: 2)
        for (m, n, k) in [(1, 300, 70), (70, 1, 300), (64, 300, 1), (1, 1, 5), (33, 65, 17), (200, 300, 40)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
                let a = (0..<(m * k)).map { _ in rng.uniform(1) }, b = (0..<(k * n)).map { _ in rng.uniform(1) }
                var c = (0..<(m * n)).map { _ in rng.uniform(1) }
                let c0 = c
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    gemm.multiply(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!, beta: 0.5,
                                  transposeA: ta, transposeB: tb)
                } } }
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let av = ta ? a[p * m + i] : a[i * k + p], bv = tb ? b[j * k + p] : b[p * n + j]
                            s += Double(av) * Double(bv)
                        }
                        worst = max(worst, abs(Double(c[i * n + j]) - (s + 0.5 * Double(c0[i * n + j]))))
                    }
                }
                XCTAssertLessThan(worst, 1e-4, "\(m)x\(n)x\(k) transA \(ta) transB \(tb)")
            }
        }
    }

    func testPoolDispatchIsCheap() {
        // Generous bound: the design target is 1-5 µs; a loaded CI machine can be far slower than that.
        XCTAssertLessThan(CPUDiagnostics.poolDispatchNanoseconds(threads: 2, rounds: 3), 500_000)
    }

    func testExecutorsReleaseTheirThreads() throws {
        let plan = try PlanCompiler.compile(try BuiltinNetwork.initial.graph(input: TensorShape(channels: 1, height: 8, width: 8)),
                                            options: PlanOptions(batchSize: 2))
        func threadCount() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            return Int(status.split(separator: "\n").first { $0.hasPrefix("Threads:") }?.split(separator: "\t").last ?? "") ?? 0
        }
        let before = threadCount()
        for _ in 0..<10 {
            let e = try CPUBackend(threads: 3).load(plan)
            e.trainStep(learningRate: 0.1)
        }
        XCTAssertLessThanOrEqual(threadCount(), before + 1)   // + a BLAS thread OpenBLAS may start lazily
    }

    /// Steps run with subnormal Floats flushed to zero (x86), on the caller and on the pool's workers alike, and the
    /// caller's own mode is back afterwards: a linear layer without bias fed subnormal images outputs exact zeros.
    func testStepsFlushSubnormalsAndRestoreTheCallersMode() throws {
        #if arch(x86_64)
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 4, width: 4))
        let graph = try b.build(output: try b.linear("fc", try b.flatten("flatten", b.input), out: 64, bias: false))
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 8))
        let tiny = Float.leastNormalMagnitude / 8   // subnormal
        let images = [Float](repeating: tiny, count: 8 * 16), labels = [Int32](repeating: 1, count: 8)
        for threads in [1, 2] {
            let e = try CPUBackend(threads: threads).load(plan)
            e.write(.parameters, [Float](repeating: 0.5, count: plan.count(of: .parameters)))
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
            e.evalStep()
            let out = e.outputs()
            XCTAssertEqual(out.count, 8 * 64)
            XCTAssertTrue(out.allSatisfy { $0 == 0 }, "\(threads) threads: \(out.filter { $0 != 0 }.prefix(3))")
        }
        // Outside steps the caller computes subnormals as before (opaque to the optimiser through an array).
        let factors = [tiny, 0.5]
        XCTAssertGreaterThan(factors[0] * factors[1], 0)
        #endif
    }

    /// Two and one threads split sums differently; results agree to rounding, and steps are deterministic.
    func testThreadCountsAgreeAndStepsAreDeterministic() throws {
        let plan = try PlanCompiler.compile(try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 1, height: 12, width: 12)),
                                            options: PlanOptions(batchSize: 4))
        var rng = SplitMix64(seed: 5)
        let images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
        let labels = (0..<plan.labelCount).map { Int32($0 % 10) }
        func run(_ threads: Int) throws -> [Float] {
            let e = try CPUBackend(threads: threads).load(plan)
            e.write(.parameters, plan.initialParameters(seed: 1))
            e.write(.buffers, plan.initialBuffers())
            images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
            for _ in 0..<3 { e.trainStep(learningRate: 0.05) }
            return e.read(.parameters)
        }
        let one = try run(1), two = try run(2), again = try run(2)
        XCTAssertEqual(two, again)
        let worst = zip(one, two).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4)
    }
}
