import CBLAS
import Foundation
import NetIR

/// The machine's measured limits, once per Perf run (on first use): the sgemm peak (OpenBLAS's own threaded
/// cblas_sgemm on a large square, all the threads the benchmarks use) and the memory bandwidth (STREAM-like
/// triad and copy over arrays far larger than the last-level cache, same threads). Both are the best of several
/// rounds, as STREAM reports: a peak is what the machine can do, not what it usually does.
struct Peaks: Codable, Sendable {
    var sgemmGFLOPS: Double
    var sgemmShape: String
    /// max(triad, copy): the limit a memory-bound kernel is held against.
    var bandwidthGBs: Double
    var triadGBs: Double
    var copyGBs: Double
    var threads: Int
    /// Size of each bandwidth array (triad uses three, copy two).
    var arrayMiB: Int

    var description: String {
        String(format: "sgemm %@ %.1f GFLOP/s; memory %.1f GB/s (triad %.1f, copy %.1f; %d MiB arrays); %d threads",
               sgemmShape, sgemmGFLOPS, bandwidthGBs, triadGBs, copyGBs, arrayMiB, threads)
    }
}

/// Each result's place under the peaks: achieved GFLOP/s and/or GB/s, and the fraction of the peak that bounds it.
struct RooflinePoint: Codable, Sendable {
    var gflops: Double?
    var gbs: Double?
    /// gflops / sgemm peak for compute-bound rows, gbs / bandwidth for memory-bound ones (above 1 for data that
    /// stays in cache).
    var fraction: Double
    /// "sgemm" or "bandwidth".
    var peak: String
    /// The row's kind in the README's roofline summary: "GEMM", "conv fwd", "BN", "pooling", "train step", ...
    var group: String
}

enum Roofline {
    static let peaks: Peaks = measure()

    /// The point of a compute-bound row (GEMM, convolution, whole steps).
    static func compute(gflops: Double, group: String) -> RooflinePoint {
        RooflinePoint(gflops: gflops, gbs: nil, fraction: gflops / peaks.sgemmGFLOPS, peak: "sgemm", group: group)
    }

    /// The point of a memory-bound row (BatchNorm, pooling).
    static func memory(gbs: Double, group: String) -> RooflinePoint {
        RooflinePoint(gflops: nil, gbs: gbs, fraction: gbs / peaks.bandwidthGBs, peak: "bandwidth", group: group)
    }

    /// FLOPs of one training step of a built-in net: 3 x the forward FLOPs (NetIR's `cost()`: 2 per multiply-add,
    /// plus bias, activation, pooling and add work) x batch, i.e. forward, input gradient and weight gradient each
    /// as costly as the forward pass. The plan does not count its own FLOPs; this is the usual convention, and it
    /// counts the first layer's input gradient, which the plan skips.
    static func stepFLOPs(_ net: BuiltinNetwork, input: TensorShape, batch: Int) -> Double {
        guard let cost = try? net.graph(input: input).cost() else { return 0 }
        return 3 * Double(cost.flops) * Double(batch)
    }

    static func measure() -> Peaks {
        let threads = Machine.cores
        let n = 2048
        let x = Matrices(m: n, n: n, k: n)
        let sgemm = 2 * pow(Double(n), 3) / bestSeconds(rounds: 3, budget: 3, threads: threads) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, x.a, Int32(n),
                        x.b, Int32(n), 0, x.c, Int32(n))
        } / 1e9
        let arrayBytes = min(max(4 * lastLevelCacheBytes(), 64 << 20), 512 << 20)
        let stream = StreamArrays(count: arrayBytes / 4, threads: threads)
        let triad = 12 * Double(stream.count) / bestSeconds(rounds: 5, budget: 1.5, threads: 1) { stream.triad() } / 1e9
        let copy = 8 * Double(stream.count) / bestSeconds(rounds: 5, budget: 1.5, threads: 1) { stream.copy() } / 1e9
        let peaks = Peaks(sgemmGFLOPS: sgemm, sgemmShape: "\(n)x\(n)x\(n)", bandwidthGBs: max(triad, copy), triadGBs: triad,
                          copyGBs: copy, threads: threads, arrayMiB: arrayBytes >> 20)
        print("peaks: \(peaks.description)")
        return peaks
    }

    /// Fastest timed call after one warm-up: at least `rounds` calls, more while under `budget` seconds (up to
    /// 100), so a machine busy with other work still shows a quiet moment. OpenBLAS runs with `threads` threads.
    static func bestSeconds(rounds: Int, budget: Double, threads: Int, _ body: () -> Void) -> Double {
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        body()
        var best = Double.infinity
        let start = Clock.now()
        var done = 0
        while done < rounds || (Clock.now() - start < budget && done < 100) {
            let t0 = Clock.now()
            body()
            best = min(best, Clock.now() - t0)
            done += 1
        }
        return best
    }

    /// Size of the last-level cache (Linux sysfs; 32 MiB when unknown).
    static func lastLevelCacheBytes() -> Int {
        var best = 0
        for index in 0..<8 {
            let path = "/sys/devices/system/cpu/cpu0/cache/index\(index)/size"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let scale = t.hasSuffix("K") ? 1024 : t.hasSuffix("M") ? 1 << 20 : 1
            if let v = Int(t.trimmingCharacters(in: CharacterSet.letters)) { best = max(best, v * scale) }
        }
        return best > 0 ? best : 32 << 20
    }
}

/// STREAM-like kernels on `threads` threads, each on its own contiguous slice (first touched by that thread).
final class StreamArrays: @unchecked Sendable {
    let count: Int, threads: Int
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    init(count: Int, threads: Int) {
        self.count = count; self.threads = max(threads, 1)
        a = .allocate(capacity: count); b = .allocate(capacity: count); c = .allocate(capacity: count)
        parallel { a, b, c, range in
            for i in range { a[i] = 0; b[i] = 1; c[i] = 2 }
        }
    }
    deinit { a.deallocate(); b.deallocate(); c.deallocate() }

    /// a = b + 3c: 12 bytes per element (two reads, one write; write-allocate traffic not counted, as in STREAM).
    func triad() { parallel { a, b, c, range in StreamArrays.triad(a, b, c, range) } }
    /// a = b: 8 bytes per element.
    func copy() { parallel { a, b, _, range in StreamArrays.copy(a, b, range) } }

    @inline(never)
    static func triad(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for i in r { a[i] = b[i] + 3 * c[i] }
    }

    @inline(never)
    static func copy(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
        for i in r { a[i] = b[i] }
    }

    private func parallel(_ body: @Sendable (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        let chunk = (count + threads - 1) / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = min(t * chunk, count), hi = min(lo + chunk, count)
            body(a, b, c, lo..<hi)
        }
    }
}
