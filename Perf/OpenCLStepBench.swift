import Engine
import Foundation
import NetIR
import OpenCLBackend

/// A training plan loaded on the OpenCL device with random weights and one random batch, like `LoadedNet`.
struct OpenCLNet {
    let plan: Plan
    let executor: OpenCLExecutor
    let images: [Float]
    let labels: [Int32]

    init(_ net: BuiltinNetwork, batch: Int, input: TensorShape = LoadedNet.fashionShape,
         profiling: Bool = false) throws {
        let graph = try net.graph(input: input)
        let backend = OpenCLBackend(device: try OpenCLBench.device.get(), profiling: profiling)
        plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: batch), for: backend)
        executor = try backend.loadExecutor(plan)
        executor.write(.parameters, plan.initialParameters(seed: 1))
        executor.write(.buffers, plan.initialBuffers())
        var rng = SplitMix64(seed: 2)
        images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
        labels = (0..<batch).map { _ in Int32(rng.next() % 10) }
        setBatch()
        executor.trainStep(learningRate: 0.01)
        executor.synchronize()
        if let failure = executor.failure { throw failure }
    }

    func setBatch() {
        images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { executor.setBatch(images: i, labels: $0) } }
    }

    /// Kernel enqueues and host waits per step over `steps` steps enqueued back to back (the final
    /// clFinish that ends the run is not counted), with or without a new batch before each step.
    func countsPerStep(steps: Int, withBatch: Bool) -> (enqueues: Double, waits: Double) {
        executor.synchronize()
        let e0 = executor.enqueueCount, w0 = executor.waitCount
        for _ in 0..<steps {
            if withBatch { setBatch() }
            executor.trainStep(learningRate: 0.01)
        }
        let e1 = executor.enqueueCount, w1 = executor.waitCount
        executor.synchronize()
        return (Double(e1 - e0) / Double(steps), Double(w1 - w0) / Double(steps))
    }
}

extension Benchmarks {
    static let openCLStep = Benchmark(
        name: "opencl-step",
        summary: "training images/s on the OpenCL device (forward, loss, backward, SGD momentum; steps enqueued back to back, one clFinish per timed group) vs our CPU backend on the same machine, 1x28x28; per step: kernel enqueues and host waits",
        run: { ctx in
            var results: [BenchResult] = []
            for net in [BuiltinNetwork.smallcnn, .resnet8] {
                for batch in ctx.quick ? [1, 128] : [1, 32, 128] {
                    let loaded = try OpenCLNet(net, batch: batch)
                    let e = loaded.executor
                    // Small steps are grouped so the one wait per group does not dominate.
                    let group = batch >= 32 ? 1 : 8
                    let t = Clock.measure(rounds: ctx.quick ? 3 : 5, roundSeconds: ctx.quick ? 0.1 : 0.3) {
                        for _ in 0..<group { e.trainStep(learningRate: 0.01) }
                        e.synchronize()
                    } / Double(group)
                    if let failure = e.failure { throw failure }
                    let plain = loaded.countsPerStep(steps: 8, withBatch: false)
                    let fed = loaded.countsPerStep(steps: 8, withBatch: true)
                    let cpu = try ourRate(net, batch: batch, quick: ctx.quick)
                    let note = String(format: "per step: %.0f enqueues, %.2f host waits (%.2f with setBatch each step)",
                                      plain.enqueues, plain.waits, fed.waits)
                    results.append(BenchResult(name: "opencl step \(net.rawValue)", shape: "batch \(batch)", ours: Double(batch) / t,
                                               unit: "img/s", reference: cpu, referenceName: "cpu backend", note: note,
                                               roofline: OpenCLBench.roofline(gflops: Roofline.stepFLOPs(net, input: LoadedNet.fashionShape, batch: batch) / t / 1e9,
                                                                              group: "OpenCL train step")))
                    print("  \(net.rawValue) batch \(batch): \(Format.number(Double(batch) / t)) img/s vs \(Format.number(cpu)) (cpu backend); \(note)")
                }
            }
            return results
        },
        referenceNote: { "\(OpenCLBench.deviceNote); reference our CPU backend (OpenBLAS, \(Machine.cores) threads)" })

    /// `Perf --compare-opencl NET BATCH [CxHxW] [ROUNDS]`: training images/s on the OpenCL device and on our CPU
    /// backend in one process, rounds of a few steps each alternating between the two so that a loaded
    /// machine's swings hit both alike; prints the best round of each and their ratio.
    static func compareOpenCL(_ arguments: [String]) throws {
        guard arguments.count >= 2, let net = BuiltinNetwork(rawValue: arguments[0]), let batch = Int(arguments[1]) else {
            print("usage: Perf --compare-opencl initial|smallcnn|resnet8 BATCH [CxHxW] [ROUNDS]"); return
        }
        let input = try inputShape(arguments.count > 2 ? arguments[2] : "1x28x28")
        let rounds = arguments.count > 3 ? max(Int(arguments[3]) ?? 3, 1) : 3
        let gpu = try OpenCLNet(net, batch: batch, input: input)
        let cpu = try LoadedNet(net, batch: batch, input: input)
        let steps = batch >= 32 ? 2 : 16
        var bestGPU = Double.infinity, bestCPU = Double.infinity
        for _ in 0..<rounds {
            var t0 = Clock.now()
            for _ in 0..<steps { gpu.executor.trainStep(learningRate: 0.01) }
            gpu.executor.synchronize()
            bestGPU = min(bestGPU, (Clock.now() - t0) / Double(steps))
            t0 = Clock.now()
            for _ in 0..<steps { cpu.executor.trainStep(learningRate: 0.01) }
            bestCPU = min(bestCPU, (Clock.now() - t0) / Double(steps))
        }
        if let failure = gpu.executor.failure { throw failure }
        print("\(OpenCLBench.deviceNote)")
        print(String(format: "%@ %@ batch %d: OpenCL %.1f img/s, CPU backend %.1f img/s, ratio %.3f (best of %d rounds of %d steps)",
                     net.rawValue, input.description, batch, Double(batch) / bestGPU,
                     Double(batch) / bestCPU, bestCPU / bestGPU, rounds, steps))
    }

    static func inputShape(_ text: String) throws -> TensorShape {
        guard let shape = TensorShape(parsing: text), shape.rank == 3 else {
            throw NSError(domain: "Perf", code: 2, userInfo: [NSLocalizedDescriptionKey: "input shape must be CxHxW, e.g. 3x32x32, got \(text)"])
        }
        return shape
    }

    /// `Perf --profile-opencl NET BATCH [STEPS] [CxHxW]`: device time of every train-program instruction
    /// (profiling events, summed over its kernels, per step), largest first; then the same by op/kernel.
    /// The input defaults to 1x28x28.
    static func profileOpenCL(_ arguments: [String]) throws {
        guard arguments.count >= 2, let net = BuiltinNetwork(rawValue: arguments[0]), let batch = Int(arguments[1]) else {
            print("usage: Perf --profile-opencl initial|smallcnn|resnet8 BATCH [STEPS] [CxHxW]"); return
        }
        let steps = arguments.count > 2 ? max(Int(arguments[2]) ?? 3, 1) : 3
        let input = try inputShape(arguments.count > 3 ? arguments[3] : "1x28x28")
        let loaded = try OpenCLNet(net, batch: batch, input: input, profiling: true)
        let e = loaded.executor
        for key in [OpenCLExecutor.ProfileKey.op, .kernel, .instruction] { _ = e.takeProfile(by: key) }
        let t0 = Clock.now()
        for _ in 0..<steps { e.trainStep(learningRate: 0.01) }
        e.synchronize()
        let wall = (Clock.now() - t0) / Double(steps)
        let rows = e.takeProfile(by: .instruction), kernels = e.takeProfile(by: .kernel)
        let total = rows.reduce(0) { $0 + $1.seconds } / Double(steps)
        print("\(OpenCLBench.deviceNote)")
        print(String(format: "%@ %@ batch %d: step %.1f ms wall (profiling on), kernels %.1f ms, %d launches per step, %.0f img/s",
                     net.rawValue, input.description, batch, wall * 1e3, total * 1e3, e.trainLaunchCount, Double(batch) / wall))
        for r in rows {
            let t = r.seconds / Double(steps)
            print(String(format: "%9.1f µs %5.1f%% %3d kernels  %@", t * 1e6, 100 * t / total, r.calls / steps, r.op))
        }
        print("by op/kernel:")
        for r in kernels {
            let t = r.seconds / Double(steps)
            print(String(format: "%9.1f µs %5.1f%% %3d launches  %@", t * 1e6, 100 * t / total, r.calls / steps, r.op))
        }
    }
}
