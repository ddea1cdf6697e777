import CPUBackend
import Engine
import Foundation
import NetIR

extension LoadedNet {
    /// The Fashion-MNIST input shape the micro-benchmarks use unless told otherwise.
    static let fashionShape = TensorShape(channels: 1, height: 28, width: 28)
}

extension Benchmarks {
    /// Training images/s of our backend: median over rounds of whole steps (forward, loss, backward, SGD).
    static func ourRate(_ net: BuiltinNetwork, batch: Int, input: TensorShape = LoadedNet.fashionShape, quick: Bool) throws -> Double {
        let loaded = try LoadedNet(net, batch: batch, input: input)
        let e = loaded.executor
        for _ in 0..<3 { e.trainStep(learningRate: 0.01) }
        let t = Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.1 : 0.3) { e.trainStep(learningRate: 0.01) }
        return Double(batch) / t
    }

    /// The input shapes of the train-step benchmark: Fashion-MNIST's and CIFAR's (the issue's targets hold at both).
    static let stepShapes = [LoadedNet.fashionShape, TensorShape(channels: 3, height: 32, width: 32)]

    static let step = Benchmark(name: "train-step", summary: "training images/s (forward, loss, backward, SGD momentum) vs PyTorch CPU, same nets, 1x28x28 and 3x32x32") { ctx in
        var results: [BenchResult] = []
        for input in stepShapes {
            let shape = input.description
            for net in BuiltinNetwork.allCases {
                for batch in [1, 32, 128] {
                    let ours = try ourRate(net, batch: batch, input: input, quick: ctx.quick)
                    // Several PyTorch runs of a few seconds each: the best with --best, else the median.
                    let runs = (0..<(ctx.quick ? 1 : 3)).compactMap { _ in
                        ctx.torch?.imagesPerSecond(net: net.rawValue, batch: batch, seconds: ctx.quick ? 1 : 2, shape: shape)
                    }.sorted()
                    let torch = runs.isEmpty ? nil : (Clock.useBest ? runs.last : runs[runs.count / 2])
                    let gflops = Roofline.stepFLOPs(net, input: input, batch: batch) * ours / Double(batch) / 1e9
                    results.append(BenchResult(name: "step \(net.rawValue)", shape: "\(shape) batch \(batch)", ours: ours, unit: "img/s",
                                               reference: torch, referenceName: "PyTorch",
                                               note: ctx.torch == nil ? "PyTorch not available" : nil,
                                               roofline: Roofline.compute(gflops: gflops, group: "train step")))
                }
            }
        }
        return results
    }

    static let memory = Benchmark(name: "peak-rss", summary: "peak RSS of a process training the net (VmHWM) vs PyTorch's ru_maxrss; ratio = PyTorch / ours") { ctx in
        var results: [BenchResult] = []
        for (net, batch) in [(BuiltinNetwork.resnet8, 128), (.smallcnn, 128)] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ctx.executable)
            p.arguments = ["--child-rss", net.rawValue, "\(batch)"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let ours = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let torch = ctx.torch?.peakRSS(net: net.rawValue, batch: batch, seconds: 1)
            results.append(BenchResult(name: "peak RSS \(net.rawValue)", shape: "batch \(batch) training", ours: ours / 1_048_576,
                                       unit: "MiB", reference: torch.map { $0 / 1_048_576 }, referenceName: "PyTorch",
                                       lowerIsBetter: true, note: ctx.torch == nil ? "PyTorch not available" : nil))
        }
        return results
    }

    /// `Perf --child-rss NET BATCH`: trains a few steps and prints this process's peak RSS in bytes.
    static func childRSS(_ arguments: [String]) throws {
        guard arguments.count >= 2, let net = BuiltinNetwork(rawValue: arguments[0]), let batch = Int(arguments[1]) else {
            print(0); return
        }
        let loaded = try LoadedNet(net, batch: batch)
        for _ in 0..<5 { loaded.executor.trainStep(learningRate: 0.01) }
        print(Int(Machine.peakRSS))
    }
}

extension Benchmarks {
    /// `Perf --profile NET BATCH [THREADS]`: median time of every train-program instruction alone, largest first.
    static func profile(_ arguments: [String]) throws {
        guard arguments.count >= 2, let batch = Int(arguments[1]) else {
            print("usage: Perf --profile initial|smallcnn|resnet8|FILE.py BATCH [THREADS]"); return
        }
        let threads = arguments.count > 2 ? Int(arguments[2]) ?? Machine.cores : Machine.cores
        let loaded = try LoadedNet(named: arguments[0], batch: batch, threads: threads)
        var rows: [(Double, String)] = []
        var total = 0.0
        for (i, ins) in loaded.plan.trainProgram.enumerated() {
            let t = loaded.time(i, quick: true)
            total += t
            rows.append((t, "\(i) \(ins.node) \(ins.opName)"))
        }
        let step = Clock.measure(rounds: 5, roundSeconds: 0.1) { loaded.executor.trainStep(learningRate: 0.01) }
        // Each op again, timed inside whole steps run instruction by instruction (median over 200 steps): the
        // caches and the pool's workers as the real step leaves them, where "alone" repeats one op back to back.
        let count = loaded.plan.trainProgram.count
        var inStep = [[Double]](repeating: [], count: count)
        for _ in 0..<200 {
            for i in 0..<count {
                let t0 = Clock.now()
                loaded.executor.runTrainInstruction(i)
                inStep[i].append(Clock.now() - t0)
            }
        }
        let medians = inStep.map { $0.sorted()[$0.count / 2] }
        print(String(format: "step %.1f µs (sum of ops alone %.1f µs, in sequence %.1f µs), %.0f img/s", step * 1e6,
                     total * 1e6, medians.reduce(0, +) * 1e6, Double(batch) / step))
        print("    alone    share  in step  instruction")
        for (index, (t, name)) in rows.enumerated().sorted(by: { $0.1.0 > $1.1.0 }) {
            print(String(format: "%9.1f µs %5.1f%% %9.1f µs  %@", t * 1e6, 100 * t / total, medians[index] * 1e6, name))
        }
    }
}
