#if canImport(Glibc)
import Glibc
#endif
import CPUBackend
import Engine
import Foundation
import NetIR

extension Benchmarks {
    /// `Perf --profile-cpu NET BATCH [CxHxW]`: thread CPU time (CLOCK_THREAD_CPUTIME_ID) of every train-program
    /// instruction on one thread, the minimum of several runs, largest first, and of a whole step. Immune to
    /// other processes' load on a shared machine (cache and memory-bandwidth contention aside), unlike `--profile`.
    static func profileCPUTime(_ arguments: [String]) throws {
        guard arguments.count >= 2, let net = BuiltinNetwork(rawValue: arguments[0]), let batch = Int(arguments[1]) else {
            print("usage: Perf --profile-cpu initial|smallcnn|resnet8 BATCH [CxHxW]"); return
        }
        let input = try arguments.count > 2 ? inputShape(arguments[2]) : LoadedNet.fashionShape
        let loaded = try LoadedNet(net, batch: batch, threads: 1, input: input)
        let plan = loaded.plan, executor = loaded.executor
        func cpuSeconds(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<5 {
                let t0 = threadCPUTime()
                body()
                best = min(best, threadCPUTime() - t0)
            }
            return best
        }
        var rows: [(Double, String)] = []
        var total = 0.0
        for (i, ins) in plan.trainProgram.enumerated() {
            let t = cpuSeconds { executor.runTrainInstruction(i) }
            total += t
            rows.append((t, "\(i) \(ins.node) \(ins.opName)"))
        }
        let step = cpuSeconds { executor.trainStep(learningRate: 0.01) }
        print(String(format: "%@ %@ batch %d, 1 thread: step %.1f µs CPU (sum of ops %.1f µs), %.0f img/s per core",
                     net.rawValue, input.description, batch, step * 1e6, total * 1e6,
                     Double(batch) / step))
        var byOp: [String: Double] = [:]
        for (t, name) in rows { byOp[String(name.split(separator: " ").last!), default: 0] += t }
        for (op, t) in byOp.sorted(by: { $0.value > $1.value }) {
            print(String(format: "  %-28@ %9.1f µs %5.1f%%", op, t * 1e6, 100 * t / total))
        }
        for (t, name) in rows.sorted(by: { $0.0 > $1.0 }) {
            print(String(format: "%9.1f µs %5.1f%%  %@", t * 1e6, 100 * t / total, name))
        }
    }

    private static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
