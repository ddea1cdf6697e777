import OpTable
import XCTest
import Foundation
import NetIR
import Engine
import ReferenceBackend

/// Loads `graph` on the reference with the named parameters and buffers (others zero, running variance 1), runs
/// one eval step on `input` and returns the outputs.
func evalOutputs(_ graph: Graph, batch: Int, input: [Float], parameters: [String: [Float]] = [:],
                 buffers: [String: [Float]] = [:]) throws -> [Float] {
    let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: batch))
    let executor = try ReferenceBackend().load(plan)
    executor.write(.parameters, fill(plan.parameterSlots, count: plan.parameterCount, with: parameters))
    executor.write(.buffers, fill(plan.bufferSlots, count: plan.bufferCount, with: buffers, base: plan.initialBuffers()))
    let labels = [Int32](repeating: 0, count: batch)
    input.withUnsafeBufferPointer { im in labels.withUnsafeBufferPointer { executor.setBatch(images: im, labels: $0) } }
    executor.evalStep()
    return executor.outputs()
}

/// A region with the named slots set.
func fill(_ slots: [TensorSlot], count: Int, with values: [String: [Float]], base: [Float]? = nil) -> [Float] {
    var region = base ?? [Float](repeating: 0, count: count)
    for slot in slots { if let v = values[slot.name] { for k in 0..<slot.count { region[slot.offset + k] = v[k] } } }
    return region
}

func assertClose(_ a: [Float], _ b: [Double], _ tolerance: Double = ReferenceChecks.handComputed, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    // Relative: small expected values (Adam's v ~ 6e-5) are held to the same digits as large ones.
    for (x, y) in zip(a, b) where !close(Double(x), y, relative: tolerance, absolute: 1e-12) {
        return XCTFail("\(message): got \(a), expected \(b)", file: file, line: line)
    }
}

/// The forward formulas of docs/ops.md on inputs small enough to work out by hand. The gradient checks only show
/// that backward matches forward; these show that forward is the documented function.
final class ReferenceForwardTests: XCTestCase {
    /// 0, 1, ..., 15 as one 4x4 plane.
    let ramp = (0..<16).map(Float.init)
    let plane4 = TensorShape(channels: 1, height: 4, width: 4)

    func graph(_ input: TensorShape, _ layer: Layer) throws -> Graph {
        var b = NetworkBuilder(input: input)
        let y = try b.add("layer", layer, [b.input])
        let out = b.shape(of: y).rank == 1 ? y : try b.flatten("flatten", y)
        return try b.build(output: out)
    }

    func conv(_ input: TensorShape, out: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
              groups: Int = 1) -> Layer {
        .conv2d(Conv2dAttributes(inChannels: input.channels, outChannels: out, kernel: Pair(kernel), stride: Pair(stride),
                                 padding: Pair(padding), dilation: Pair(dilation), groups: groups))
    }

    func testConvolution() throws {
        let x = (1...9).map(Float.init)   // 3x3
        let y = try evalOutputs(try graph(TensorShape(channels: 1, height: 3, width: 3), conv(TensorShape(channels: 1, height: 3, width: 3), out: 1, kernel: 2)),
                                batch: 1, input: x, parameters: ["layer.weight": [1, 2, 3, 4], "layer.bias": [1]])
        assertClose(y, [38, 48, 68, 78], ReferenceChecks.handComputed, "2x2 kernel")
        let ones = [Float](repeating: 1, count: 9)
        // Stride 2, padding 1: windows clipped to rows/cols {0,1}, {1,2,3}.
        let strided = try evalOutputs(try graph(plane4, conv(plane4, out: 1, kernel: 3, stride: 2, padding: 1)), batch: 1,
                                      input: ramp, parameters: ["layer.weight": ones])
        assertClose(strided, [10, 24, 51, 90], ReferenceChecks.handComputed, "stride 2 padding 1")
        // Dilation 2: taps (i, j), (i, j+2), (i+2, j), (i+2, j+2).
        let dilated = try evalOutputs(try graph(plane4, conv(plane4, out: 1, kernel: 2, dilation: 2)), batch: 1,
                                      input: ramp, parameters: ["layer.weight": [1, 1, 1, 1]])
        assertClose(dilated, [20, 24, 36, 40], ReferenceChecks.handComputed, "dilation 2")
        // Groups 2 over 2 channels, 2 outputs: output o sees only input channel o; batch 2 keeps samples apart.
        let two = TensorShape(channels: 2, height: 1, width: 2)
        let grouped = try evalOutputs(try graph(two, conv(two, out: 2, kernel: 1, groups: 2)), batch: 2,
                                      input: [1, 2, 3, 4, 5, 6, 7, 8], parameters: ["layer.weight": [2, 3], "layer.bias": [0, 1]])
        assertClose(grouped, [2, 4, 10, 13, 10, 12, 22, 25], ReferenceChecks.handComputed, "groups")
    }

    func testLinear() throws {
        let y = try evalOutputs(try graph(TensorShape(features: 2), .linear(inFeatures: 2, outFeatures: 3, bias: true)), batch: 2,
                                input: [1, -1, 0.5, 2], parameters: ["layer.weight": [1, 2, 3, 4, 5, 6], "layer.bias": [0.5, -1, 0]])
        assertClose(y, [-0.5, -2, -1, 5, 8.5, 14.5], ReferenceChecks.handComputed, "linear")
    }

    /// Values worked out from the closed forms (Φ, σ, tanh, e^x) to 8 digits.
    func testActivations() throws {
        let x: [Float] = [-2, -0.5, 0, 1, 2]
        let expected: [(Activation, [Double])] = [
            (.relu, [0, 0, 0, 1, 2]),
            (.leakyRelu(slope: 0.1), [-0.2, -0.05, 0, 1, 2]),
            (.gelu, [-0.04550026, -0.15426877, 0, 0.84134475, 1.95449974]),
            (.silu, [-0.23840584, -0.18877033, 0, 0.73105858, 1.76159416]),
            (.sigmoid, [0.11920292, 0.37754067, 0.5, 0.73105858, 0.88079708]),
            (.tanh, [-0.96402758, -0.46211716, 0, 0.76159416, 0.96402758]),
            (.elu(alpha: 1), [-0.86466472, -0.39346934, 0, 1, 2]),
            (.elu(alpha: 0.5), [-0.43233236, -0.19673467, 0, 1, 2]),
        ]
        for (a, want) in expected {
            let y = try evalOutputs(try graph(TensorShape(features: 5), .activation(a)), batch: 1, input: x)
            assertClose(y, want, ReferenceChecks.handComputed, "\(a)")
        }
    }

    func testPooling() throws {
        let maxK2 = try evalOutputs(try graph(plane4, .maxPool2d(Pool2dAttributes(kernel: Pair(2)))), batch: 1, input: ramp)
        assertClose(maxK2, [5, 7, 13, 15], ReferenceChecks.exact, "maxPool k2")
        // Negative values: padding must act as -∞, not 0.
        let negative = ramp.map { -$0 - 1 }
        let maxPadded = try evalOutputs(try graph(plane4, .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1)))),
                                        batch: 1, input: negative)
        assertClose(maxPadded, [-1, -2, -5, -6], ReferenceChecks.exact, "maxPool k3 s2 p1")
        let include = try evalOutputs(try graph(plane4, .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1)))),
                                      batch: 1, input: ramp)
        assertClose(include, [10.0 / 9, 24.0 / 9, 51.0 / 9, 10], ReferenceChecks.handComputed, "avgPool count_include_pad")
        let exclude = try evalOutputs(try graph(plane4, .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1),
                                                                                        countIncludePad: false))), batch: 1, input: ramp)
        assertClose(exclude, [2.5, 4, 8.5, 10], ReferenceChecks.handComputed, "avgPool without padding in the divisor")
    }

    /// 5x7 -> 3x2: rows {0,1}, {1,2,3}, {3,4}; columns {0..3}, {3..6}. With x = 10·row + col a cell's mean is
    /// 10·mean(rows) + mean(cols).
    func testAdaptiveAveragePoolOfNonDivisibleSizes() throws {
        let x = (0..<5).flatMap { h in (0..<7).map { w in Float(10 * h + w) } }
        let y = try evalOutputs(try graph(TensorShape(channels: 1, height: 5, width: 7), .adaptiveAvgPool2d(outHeight: 3, outWidth: 2)),
                                batch: 1, input: x)
        assertClose(y, [6.5, 9.5, 21.5, 24.5, 36.5, 39.5], ReferenceChecks.handComputed, "adaptive")
    }

    func testMaxPoolArgmaxIsTheFirstMaximumOfItsWindow() throws {
        // All values equal: every window's first in-bounds position wins (padding never does).
        let plan = try PlanCompiler.compile(try graph(plane4, .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1)))),
                                            options: PlanOptions(batchSize: 1))
        let executor = try ReferenceBackend().load(plan)
        let labels: [Int32] = [0]
        [Float](repeating: 3, count: 16).withUnsafeBufferPointer { im in labels.withUnsafeBufferPointer { executor.setBatch(images: im, labels: $0) } }
        executor.evalStep()
        let pool = try XCTUnwrap(plan.evalProgram.first { $0.opName == "maxPool" })
        let argmax = executor.read(.arena)[pool.outputs[1].offset..<pool.outputs[1].end].map { Int32(bitPattern: $0.bitPattern) }
        XCTAssertEqual(argmax, [0, 1, 4, 5])
    }

    func testConcatPutsChannelBlocksInInputOrderPerSample() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 1, width: 1))
        let r = try b.activation("neg", b.input, .leakyRelu(slope: 2))
        let cat = try b.concat("cat", [r, b.input])
        let flat = try b.flatten("flatten", cat)
        let g = try b.build(output: flat)
        let y = try evalOutputs(g, batch: 2, input: [1, -1, -2, 3])
        assertClose(y, [1, -2, 1, -1, -4, 3, -2, 3], ReferenceChecks.exact, "concat")
    }

    func testSoftmaxAndLogSoftmax() throws {
        let x: [Float] = [0, Float(log(2.0)), Float(log(3.0)), 5, 5, 5]
        let y = try evalOutputs(try graph(TensorShape(features: 3), .softmax), batch: 2, input: x)
        assertClose(y, [1.0 / 6, 2.0 / 6, 3.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3], ReferenceChecks.handComputed, "softmax")
        let l = try evalOutputs(try graph(TensorShape(features: 3), .logSoftmax), batch: 2, input: x)
        assertClose(l, [log(1.0 / 6), log(2.0 / 6), log(3.0 / 6), -log(3.0), -log(3.0), -log(3.0)], ReferenceChecks.handComputed, "logSoftmax")
    }
}
