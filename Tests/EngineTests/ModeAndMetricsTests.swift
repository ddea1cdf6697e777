import OpTable
import XCTest
import Testing
import Foundation
import NetIR
import Engine
import ReferenceBackend

/// Metrics, batch-norm running statistics, train versus eval mode of batch norm and dropout, and what the
/// executor exposes between steps.
final class ModeAndMetricsTests: XCTestCase {
    func load(_ graph: Graph, batch: Int, smoothing: Float = 0, input: [Float], labels: [Int32],
              parameters: [String: [Float]] = [:]) throws -> any PlanExecutor {
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: batch, labelSmoothing: smoothing))
        let e = try ReferenceBackend().load(plan)
        e.write(.parameters, fill(plan.parameterSlots, count: plan.parameterCount, with: parameters))
        e.write(.buffers, plan.initialBuffers())
        input.withUnsafeBufferPointer { im in labels.withUnsafeBufferPointer { e.setBatch(images: im, labels: $0) } }
        return e
    }

    /// Logits = input through an identity linear layer.
    func identityClassifier(_ classes: Int) throws -> (Graph, [String: [Float]]) {
        var b = NetworkBuilder(input: TensorShape(features: classes))
        let out = try b.linear("fc", b.input, out: classes, bias: false)
        let eye = (0..<(classes * classes)).map { $0 / classes == $0 % classes ? Float(1) : 0 }
        return (try b.build(output: out), ["fc.weight": eye])
    }

    func crossEntropy(_ row: [Double], _ label: Int, smoothing ε: Double = 0) -> Double {
        let lse = log(row.map { exp($0) }.reduce(0, +))
        let logp = row.map { $0 - lse }
        return -(1 - ε) * logp[label] - ε / Double(row.count) * logp.reduce(0, +)
    }

    func testMetricsCountCorrectPredictionsAndIgnorePadding() throws {
        let (g, eye) = try identityClassifier(3)
        let rows: [[Double]] = [[2, 1, 0], [0, 0, 0], [1, 2, 3], [0, 0, 1], [3, -1, 2]]
        // Row 1 is a three-way tie: the first maximum (class 0) is the prediction, so label 1 is wrong.
        // Rows 2 and 4 are padding (-1, and 7 >= classes).
        let labels: [Int32] = [0, 1, -1, 2, 7]
        for smoothing in [0.0, 0.1] {
            let e = try load(g, batch: 5, smoothing: Float(smoothing), input: rows.flatMap { $0.map(Float.init) }, labels: labels,
                             parameters: eye)
            let loss = [0, 1, 3].reduce(0.0) { $0 + crossEntropy(rows[$1], Int(labels[$1]), smoothing: smoothing) }
            e.evalStep()
            let m = e.takeMetrics()
            XCTAssertEqual(m.samples, 3)
            XCTAssertEqual(m.correct, 2)
            XCTAssertEqual(m.lossSum, loss, accuracy: loss * ReferenceChecks.metrics)
            XCTAssertEqual(e.takeMetrics(), StepMetrics(), "takeMetrics resets the sums")
            e.trainStep(learningRate: 0)
            e.evalStep()
            let two = e.takeMetrics()
            XCTAssertEqual(two.samples, 6, "metrics accumulate until taken")
            XCTAssertEqual(two.lossSum, 2 * loss, accuracy: loss * ReferenceChecks.metrics)
        }
        XCTAssertEqual(crossEntropy([0, 0, 0], 1), log(3.0), accuracy: ReferenceChecks.exact)
    }

    /// A batch that is all padding contributes nothing: no samples, no loss, zero gradients.
    func testAllPaddingBatchHasZeroGradient() throws {
        let (g, eye) = try identityClassifier(3)
        let e = try load(g, batch: 2, input: [1, 2, 3, 4, 5, 6], labels: [-1, -1], parameters: eye)
        e.write(.gradients, [Float](repeating: 9, count: e.plan.parameterCount))
        e.trainStep(learningRate: 0.1)
        XCTAssertEqual(e.takeMetrics(), StepMetrics())
        let slot = e.plan.parameterSlots[0]
        XCTAssertEqual(Array(e.read(.gradients)[slot.offset..<(slot.offset + slot.count)]), [Float](repeating: 0, count: 9))
    }

    /// A module whose output reaches nothing still has parameters (in state_dict order); its gradient is zeroed
    /// every step rather than left stale.
    func testDeadModuleGradientsAreZeroed() throws {
        var b = NetworkBuilder(input: TensorShape(features: 3))
        _ = try b.linear("unused", b.input, out: 2)
        let out = try b.linear("fc", b.input, out: 3)
        let g = try b.build(output: out)
        let h = try Harness(g, options: PlanOptions(batchSize: 2))
        let dead = try XCTUnwrap(h.plan.parameterSlots.first { $0.name == "unused.weight" })
        h.executor.write(.gradients, [Float](repeating: 7, count: h.plan.parameterCount))
        h.executor.trainStep(learningRate: 0.1)
        let gradients = h.executor.read(.gradients)
        XCTAssertEqual(Array(gradients[dead.offset..<(dead.offset + dead.count)]), [Float](repeating: 0, count: 6))
        XCTAssertTrue(gradients.contains { $0 != 0 && $0 != 7 }, "the live module has a gradient")
    }

    /// x = [[1, 4], [2, 8], [6, 0]]: means [3, 4], biased variances [14/3, 32/3], unbiased [7, 16].
    func testBatchNorm1dRunningStatisticsAndTrainOutput() throws {
        var b = NetworkBuilder(input: TensorShape(features: 2))
        let bn = try b.batchNorm("bn", b.input)
        let g = try b.build(output: bn)
        let x: [Float] = [1, 4, 2, 8, 6, 0]
        let e = try load(g, batch: 3, input: x, labels: [0, 1, 0], parameters: ["bn.weight": [1, 1]])
        e.trainStep(learningRate: 0)
        assertClose(e.read(.buffers).prefix(2).map { $0 }, [0.3, 0.4], ReferenceChecks.handComputed, "running mean after one step")
        let variance = e.read(.buffers)[e.plan.bufferSlots[1].offset...].prefix(2).map { $0 }
        assertClose(variance, [1.6, 2.5], ReferenceChecks.handComputed, "running var after one step")
        let sd = [(14.0 / 3 + 1e-5).squareRoot(), (32.0 / 3 + 1e-5).squareRoot()]
        let normalised = (0..<6).map { (Double(x[$0]) - [3.0, 4.0][$0 % 2]) / sd[$0 % 2] }
        assertClose(e.outputs(), normalised, ReferenceChecks.handComputed, "train mode normalises with batch statistics")
        e.trainStep(learningRate: 0)
        assertClose(e.read(.buffers).prefix(2).map { $0 }, [0.57, 0.76], ReferenceChecks.handComputed, "running mean after two steps")
        assertClose(e.read(.buffers)[e.plan.bufferSlots[1].offset...].prefix(2).map { $0 }, [2.14, 3.85], ReferenceChecks.handComputed,
                    "running var after two steps")
    }

    /// BatchNorm2d with momentum 0.3 over m = 2 samples x 2 positions; batch 1 BatchNorm1d uses v itself (m = 1).
    func testBatchNorm2dRunningStatisticsAndSingleSample() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 1, width: 2))
        let bn = try b.add("bn", .batchNorm(BatchNormAttributes(features: 2, dimensions: 2, eps: 1e-3, momentum: 0.3)), [b.input])
        let flat = try b.flatten("flatten", bn)
        let e = try load(try b.build(output: flat), batch: 2, input: [1, 2, 0, 0, 3, 6, 4, 4], labels: [0, 1])
        e.trainStep(learningRate: 0)
        let buffers = e.read(.buffers), slots = e.plan.bufferSlots
        assertClose([buffers[slots[0].offset], buffers[slots[0].offset + 1]], [0.9, 0.6], ReferenceChecks.handComputed, "running mean")
        assertClose([buffers[slots[1].offset], buffers[slots[1].offset + 1]], [2.1, 2.3], ReferenceChecks.handComputed, "running var")

        var one = NetworkBuilder(input: TensorShape(features: 2))
        let bn1 = try one.batchNorm("bn", one.input)
        let single = try load(try one.build(output: bn1), batch: 1, input: [5, -3], labels: [0])
        single.trainStep(learningRate: 0)
        let s = single.read(.buffers), ss = single.plan.bufferSlots
        assertClose([s[ss[0].offset], s[ss[0].offset + 1], s[ss[1].offset], s[ss[1].offset + 1]], [0.5, -0.3, 0.9, 0.9], ReferenceChecks.handComputed, "m = 1")
    }

    func testBatchNormEvalUsesRunningStatisticsAndChangesNothing() throws {
        var b = NetworkBuilder(input: TensorShape(features: 2))
        let bn = try b.batchNorm("bn", b.input)
        let g = try b.build(output: bn)
        let x: [Float] = [1, 4, 2, 8]
        let e = try load(g, batch: 2, input: x, labels: [0, 1], parameters: ["bn.weight": [2, -1], "bn.bias": [0.1, 0.2]])
        var buffers = e.read(.buffers)
        let slots = e.plan.bufferSlots
        (buffers[slots[0].offset], buffers[slots[0].offset + 1]) = (0.5, -1)
        (buffers[slots[1].offset], buffers[slots[1].offset + 1]) = (4, 0.25)
        e.write(.buffers, buffers)
        e.evalStep()
        let sd0: Double = (4 + 1e-5).squareRoot(), sd1: Double = (0.25 + 1e-5).squareRoot()
        let expected: [Double] = [2 * 0.5 / sd0 + 0.1, -5 / sd1 + 0.2, 2 * 1.5 / sd0 + 0.1, -9 / sd1 + 0.2]
        assertClose(e.outputs(), expected, ReferenceChecks.handComputed, "eval mode")
        XCTAssertEqual(e.read(.buffers), buffers, "eval must not touch the running statistics")
        XCTAssertEqual(e.step, 0)
    }

    func testDropoutMasksInTrainingAndPassesThroughInEval() throws {
        let n = 64
        var b = NetworkBuilder(input: TensorShape(features: n))
        let d = try b.dropout("drop", b.input, p: 0.25)
        let g = try b.build(output: d)
        let x = (0..<n).map { Float($0) * 0.1 - 3 }
        let e = try load(g, batch: 1, input: x, labels: [0])
        e.seed = 77
        e.step = 5
        let salt = try XCTUnwrap(e.plan.trainProgram.compactMap { ins -> UInt32? in
            if case .dropout(_, let salt) = ins.op { return salt } else { return nil }
        }.first)
        func masked(seed: UInt32, step: UInt32) -> [Float] {
            (0..<n).map { k in
                CounterRandom.uniform(seed: seed, step: step, salt: salt, index: UInt32(k)) >= 0.25 ? x[k] * (1 / 0.75) : 0
            }
        }
        e.trainStep(learningRate: 0)
        let first = e.outputs()
        XCTAssertEqual(first, masked(seed: 77, step: 5))
        let dropped = first.filter { $0 == 0 }.count
        XCTAssertTrue((5...30).contains(dropped), "dropped \(dropped) of 64 at p = 0.25")
        XCTAssertEqual(e.step, 6)
        e.trainStep(learningRate: 0)
        XCTAssertEqual(e.outputs(), masked(seed: 77, step: 6))
        XCTAssertNotEqual(e.outputs(), first, "a new step draws a new mask")
        e.seed = 78
        e.step = 5
        e.trainStep(learningRate: 0)
        XCTAssertNotEqual(e.outputs(), first, "a new seed draws a new mask")
        e.evalStep()
        XCTAssertEqual(e.outputs(), x, "eval passes dropout through")
    }

    /// The reference refuses a plan whose operand lies outside its region instead of reading garbage.
    func testLoadRejectsOutOfBoundsOperands() throws {
        var plan = try PlanCompiler.compile(try BuiltinNetwork.initial.graph(input: TensorShape(channels: 1, height: 4, width: 4)),
                                            options: PlanOptions(batchSize: 2))
        plan.trainProgram[0].outputs[0].offset = plan.arenaCount
        XCTAssertThrowsError(try ReferenceBackend().load(plan))
    }
}

/// `outputs()` after a training step gives that step's logits: the planner keeps `Plan.output` alive to the end of
/// the train program, so backward tensors never reuse its memory (smallcnn: fc2's linearBackwardData once did).
@Test func outputsAfterATrainStepAreTheLogits() throws {
    let g = try BuiltinNetwork.smallcnn.graph(input: TensorShape(channels: 1, height: 8, width: 8), classes: 5)
    let h = try Harness(g, options: PlanOptions(batchSize: 2))
    h.executor.evalStep()
    let logits = h.executor.outputs()
    h.executor.trainStep(learningRate: 0)
    #expect(h.executor.outputs() == logits)
}
