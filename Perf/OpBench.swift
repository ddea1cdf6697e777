import CPUBackend
import Engine
import Foundation
import NetIR
import OpenCLBackend
import OpTable

/// `ops`: every op of the op table (Tests/OpTable, the table every backend's tests read), each family's
/// realistically sized row (`OpTable.benchmarkCases`), forward and backward instruction by instruction, in GB/s
/// of its operands (every input and output once) vs memcpy of the same bytes; the time in µs is in the note.
/// CPU: the instruction alone, repeated. OpenCL (when a device is present): device time of the instruction's
/// kernels from profiling events over whole steps.
extension Benchmarks {
    static let ops = Benchmark(
        name: "ops",
        summary: "every op of the op table at batch \(OpTable.benchmarkBatch), \(OpTable.benchmarkImage) (features \(OpTable.benchmarkFeatures)), forward and backward, GB/s of operands vs memcpy of the same bytes (one thread); µs in the note",
        run: { ctx in
            var results: [BenchResult] = []
            var memcpy: [Int: Double] = [:]
            var seen: Set<String> = []
            func row(_ backend: String, _ c: OpCase, _ ins: Instruction, seconds: Double) -> BenchResult {
                let bytes = 4 * (ins.inputs + ins.outputs).reduce(0) { $0 + $1.count }
                if memcpy[bytes] == nil { memcpy[bytes] = memcpyRate(bytes: bytes, quick: ctx.quick) }
                // An op that is its own backward (permute, affine, copy) appears twice; the second is the backward.
                var name = "\(backend) \(c.family.rawValue) \(c.name): \(ins.node) \(ins.opName)"
                if !seen.insert(name).inserted { name += " (backward)" }
                return BenchResult(name: name,
                                   shape: "b\(c.batches[0]), \(bytes / 1024) KiB", ours: Double(bytes) / seconds / 1e9, unit: "GB/s",
                                   reference: memcpy[bytes], referenceName: "memcpy",
                                   note: String(format: "%.1f µs", seconds * 1e6))
            }
            let device = try? OpenCLBench.device.get()
            for family in OpFamily.allCases {
                for c in try OpTable.benchmarkCases(family) {
                    let options = PlanOptions(batchSize: c.batches[0], optimizer: c.optimizer, labelSmoothing: c.smoothing,
                                              fuseActivations: c.fuse[0])
                    let cpu = CPUBackend(threads: Machine.cores)
                    let plan = try PlanCompiler.compile(c.graph, options: options, for: cpu)
                    let state = ExecutorState(plan: plan, seed: 1)
                    let executor = try CPUExecutor(plan: plan, threads: Machine.cores)
                    state.apply(to: executor)
                    executor.trainStep(learningRate: c.learningRate)
                    for (i, ins) in plan.trainProgram.enumerated() where OpTable.benchmarkMeasures(c, node: ins.node) {
                        let t = Clock.measure(rounds: ctx.quick ? 3 : 7, roundSeconds: ctx.quick ? 0.005 : 0.02) {
                            executor.runTrainInstruction(i)
                        }
                        results.append(row("cpu", c, ins, seconds: t))
                    }
                    guard let device else { continue }
                    let backend = OpenCLBackend(device: device, profiling: true)
                    let devicePlan = try PlanCompiler.compile(c.graph, options: options, for: backend)
                    let e = try backend.loadExecutor(devicePlan)
                    ExecutorState(plan: devicePlan, seed: 1).apply(to: e)
                    e.trainStep(learningRate: c.learningRate)
                    e.synchronize()
                    _ = e.takeProfile(by: .instruction)
                    let steps = ctx.quick ? 2 : 5
                    for _ in 0..<steps { e.trainStep(learningRate: c.learningRate) }
                    e.synchronize()
                    if let failure = e.failure { throw failure }
                    let profile = Dictionary(e.takeProfile(by: .instruction).map { ($0.op, $0.seconds) }, uniquingKeysWith: +)
                    for (i, ins) in devicePlan.trainProgram.enumerated() where OpTable.benchmarkMeasures(c, node: ins.node) {
                        guard let seconds = profile["\(i) \(ins.node) \(ins.opName)"], seconds > 0 else { continue }
                        results.append(row("opencl", c, ins, seconds: seconds / Double(steps)))
                    }
                }
            }
            return results
        },
        referenceNote: { "memcpy of the same bytes on the host, one thread (for OpenCL too); " + OpenCLBench.deviceNote })
}
