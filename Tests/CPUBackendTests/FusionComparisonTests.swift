import XCTest
import NetIR
import Engine
import CPUBackend
import OpTable

/// The CPU's fused ops (`Fusion`: batchNormReluBackward, batchNormAdd, maxPoolReluBackward) against the same network's unfused plan
/// on the CPU itself: the fused kernels sum the same masked values in the same order, so two train steps must agree
/// within `Tolerances.sameKernels` (the results are expected bit-identical; a wrong mask or a lost accumulate shows
/// as errors of order 1e-2 and more).
final class FusionComparisonTests: XCTestCase {
    /// Two train steps, then an eval step: parameters, gradients, running statistics, optimizer state, eval logits.
    func steps(_ plan: Plan, threads: Int) throws -> [String: [Float]] {
        let e = try CPUBackend(threads: threads).load(plan)
        let state = ExecutorState(plan: plan, seed: 11)   // arena-independent: parameters, statistics, batch
        for r in [Region.parameters, .buffers, .optimizer] { e.write(r, state.regions[r] ?? []) }
        let images = state.regions[.input] ?? []
        let labels = (state.regions[.labels] ?? []).map { Int32(bitPattern: $0.bitPattern) }
        images.withUnsafeBufferPointer { i in labels.withUnsafeBufferPointer { e.setBatch(images: i, labels: $0) } }
        for _ in 0..<2 { e.trainStep(learningRate: 0.05) }
        var result = Dictionary(uniqueKeysWithValues: [Region.parameters, .gradients, .buffers, .optimizer].map { ("\($0)", e.read($0)) })
        e.evalStep()
        result["eval logits"] = e.outputs()
        return result
    }

    func testResNet8FusedAndUnfusedAgree() throws {
        let g = try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 3, height: 12, width: 12), classes: 10)
        let options = PlanOptions(batchSize: 5)
        let fused = try PlanCompiler.compile(g, options: options, for: CPUBackend(threads: 2))
        let plain = try PlanCompiler.compile(g, options: options)
        XCTAssertEqual(fused.trainProgram.filter { $0.opName == "batchNormReluBackward" }.count, 4)
        XCTAssertEqual(fused.evalProgram.filter { $0.opName == "batchNormAdd" }.count, 3)
        XCTAssertFalse(plain.trainProgram.contains { $0.opName == "batchNormReluBackward" })
        let bound = Tolerances.sameKernels(on: .cpu)
        for threads in [1, 2] {
            let (a, b) = (try steps(fused, threads: threads), try steps(plain, threads: threads))
            XCTAssertEqual(a.count, 5)
            for (name, values) in a {
                let error = normalisedError(values, b[name] ?? [])
                XCTAssertLessThanOrEqual(error, bound.value, "\(name) on \(threads) threads: \(bound)")
            }
            XCTAssertTrue((a["gradients"] ?? []).contains { $0 != 0 })
        }
    }
}
