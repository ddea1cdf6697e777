import CPUBackend
import Engine
import Foundation
import NetCode
import NetIR

/// A loaded training plan with random data after one step, for timing single instructions.
struct LoadedNet {
    let plan: Plan
    let executor: CPUExecutor

    init(_ net: BuiltinNetwork, batch: Int, threads: Int = Machine.cores,
         input: TensorShape = LoadedNet.fashionShape) throws {
        try self.init(graph: try net.graph(input: input), batch: batch, threads: threads)
    }

    /// A built-in network by name, or a PyTorch source file (a network a search found), at the Fashion-MNIST shape.
    init(named name: String, batch: Int, threads: Int = Machine.cores) throws {
        if let net = BuiltinNetwork(rawValue: name) {
            try self.init(net, batch: batch, threads: threads)
        } else {
            let source = try String(contentsOfFile: name, encoding: .utf8)
            try self.init(graph: try NetworkSource.parse(source, file: name, input: LoadedNet.fashionShape).graph,
                          batch: batch, threads: threads)
        }
    }

    init(graph: Graph, batch: Int, threads: Int) throws {
        plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: batch), for: CPUBackend(threads: threads))
        executor = try CPUExecutor(plan: plan, threads: threads)
        executor.write(.parameters, plan.initialParameters(seed: 1))
        executor.write(.buffers, plan.initialBuffers())
        var rng = SplitMix64(seed: 2)
        let images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
        let labels = (0..<batch).map { _ in Int32(rng.next() % 10) }
        images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { executor.setBatch(images: i, labels: $0) } }
        executor.trainStep(learningRate: 0.01)
    }

    func time(_ index: Int, quick: Bool) -> Double {
        Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.005 : 0.02) { executor.runTrainInstruction(index) }
    }
}

extension Benchmarks {
    static let conv = Benchmark(name: "conv", summary: "conv forward / backward-data / backward-filter per layer vs the best raw sgemm of the whole-batch GEMM shape") { ctx in
        let gemm = CPUGemm(threads: Machine.cores)
        var results: [BenchResult] = []
        var references: [String: Double] = [:]
        for net in [BuiltinNetwork.smallcnn, .resnet8] {
            for batch in ctx.quick ? [1, 128] : [1, 32, 128] {
                let loaded = try LoadedNet(net, batch: batch)
                for (index, ins) in loaded.plan.trainProgram.enumerated() {
                    let g: ConvGeometry, pass: String, mnk: (Int, Int, Int)
                    switch ins.op {
                    case .conv2d(let c, _): g = c; pass = "fwd"; mnk = (c.outChannels, c.batch * c.outputPlane, c.patchSize)
                    case .conv2dBackwardData(let c): g = c; pass = "bwd-data"; mnk = (c.patchSize, c.batch * c.outputPlane, c.outChannels)
                    case .conv2dBackwardFilter(let c): g = c; pass = "bwd-filter"; mnk = (c.outChannels, c.patchSize, c.batch * c.outputPlane)
                    default: continue
                    }
                    let flops = 2 * Double(g.macs)
                    let rate = flops / loaded.time(index, quick: ctx.quick) / 1e9
                    let key = "\(mnk)"
                    let reference = references[key] ?? GemmTiming.bestRate(gemm, m: mnk.0, n: mnk.1, k: mnk.2, quick: ctx.quick)
                    references[key] = reference
                    let shape = "\(g.outChannels)x\(g.inChannels)x\(g.kernelH)x\(g.kernelW)/s\(g.strideH) on \(g.inHeight)x\(g.inWidth) b\(batch), GEMM \(mnk.0)x\(mnk.1)x\(mnk.2)"
                    results.append(BenchResult(name: "\(net.rawValue).\(ins.node) \(pass)", shape: shape, ours: rate,
                                               unit: "GFLOP/s", reference: reference, referenceName: "sgemm",
                                               roofline: Roofline.compute(gflops: rate, group: "conv \(pass) (im2col/gather + GEMM)")))
                }
            }
        }
        return results
    }

    static let memoryBound = Benchmark(name: "bn-pool", summary: "BatchNorm and pooling throughput (GB/s of operands) vs memcpy of the same bytes") { ctx in
        var results: [BenchResult] = []
        for (net, batch) in [(BuiltinNetwork.resnet8, 128), (.resnet8, 1), (.smallcnn, 128)] {
            let loaded = try LoadedNet(net, batch: batch)
            var seen = Set<String>()
            for (index, ins) in loaded.plan.trainProgram.enumerated() {
                switch ins.op {
                case .batchNorm, .batchNormAdd, .batchNormBackward, .batchNormReluBackward, .maxPool, .maxPoolBackward, .adaptiveAvgPool, .adaptiveAvgPoolBackward: break
                default: continue
                }
                let bytes = 4 * Double((ins.inputs + ins.outputs).reduce(0) { $0 + $1.count })
                let key = "\(ins.opName) \(bytes)"
                guard seen.insert(key).inserted else { continue }
                let rate = bytes / loaded.time(index, quick: ctx.quick) / 1e9
                let reference = memcpyRate(bytes: Int(bytes), quick: ctx.quick)
                results.append(BenchResult(name: "\(net.rawValue).\(ins.node) \(ins.opName)", shape: "b\(batch), \(Int(bytes) / 1024) KiB",
                                           ours: rate, unit: "GB/s", reference: reference, referenceName: "memcpy",
                                           roofline: Roofline.memory(gbs: rate, group: ins.opName.hasPrefix("batchNorm") ? "BN" : "pooling")))
            }
        }
        return results
    }

    /// GB/s (read + write) of memcpy moving bytes/2 (one thread).
    static func memcpyRate(bytes: Int, quick: Bool) -> Double {
        let half = max(bytes / 2, 64)
        let src = UnsafeMutableRawPointer.allocate(byteCount: half, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: half, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, half); memset(dst, 0, half)
        let t = Clock.measure(rounds: quick ? 3 : 7, roundSeconds: quick ? 0.005 : 0.02) { copyBytes(dst, src, half) }
        return Double(2 * half) / t / 1e9
    }

    /// Not inlined, so the optimiser cannot drop the repeated copies to the same never-read destination.
    @inline(never)
    static func copyBytes(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) {
        memcpy(dst, src, count)
    }
}
