import XCTest
import Engine
import NetIR
import OpTable
@testable import CPUBackend

/// The direct first-layer convolution loops (CVectorKernels) against Double sums, forward (bias, ReLU) and weight
/// gradient (overwrite and accumulate), on every AVX2 machine: the network tests reach the weight gradient only
/// where it is the default (a pre-AVX-512 OpenBLAS core). Shapes cover 1-3 channels, 3x3, 5x5 and 3x1 kernels,
/// padding 0-2 and output widths that are not a multiple of the 8-wide vectors.
final class DirectConvolutionTests: XCTestCase {
    struct Case {
        let channels, outChannels, height, width: Int
        let kernel, padding: Pair
    }

    static let cases = [
        Case(channels: 1, outChannels: 8, height: 28, width: 28, kernel: Pair(3), padding: Pair(1)),
        Case(channels: 1, outChannels: 5, height: 11, width: 13, kernel: Pair(5), padding: Pair(2)),
        Case(channels: 2, outChannels: 4, height: 9, width: 10, kernel: Pair(3), padding: Pair(0)),
        Case(channels: 3, outChannels: 16, height: 12, width: 17, kernel: Pair(3, 1), padding: Pair(1, 0)),
    ]

    static func geometry(_ c: Case) -> ConvGeometry {
        let a = Conv2dAttributes(inChannels: c.channels, outChannels: c.outChannels, kernel: c.kernel, stride: Pair(1),
                                 padding: c.padding, dilation: Pair(1), groups: 1, bias: true)
        let oh = c.height + 2 * c.padding.h - c.kernel.h + 1, ow = c.width + 2 * c.padding.w - c.kernel.w + 1
        return ConvGeometry(batch: 1, input: TensorShape(channels: c.channels, height: c.height, width: c.width),
                            output: TensorShape(channels: c.outChannels, height: oh, width: ow), attributes: a)
    }

    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &g) }
    }

    /// Input value at (channel, row, column), zero in the padding.
    static func input(_ x: [Float], _ g: ConvGeometry, _ ci: Int, _ r: Int, _ c: Int) -> Double {
        r < 0 || c < 0 || r >= g.inHeight || c >= g.inWidth ? 0 : Double(x[(ci * g.inHeight + r) * g.inWidth + c])
    }

    /// max |got - want| / max(1, max |want|).
    static func error(_ got: [Float], _ want: [Double]) -> Double {
        let scale = max(1, want.map(abs).max() ?? 0)
        return zip(got, want).map { abs(Double($0) - $1) }.max()! / scale
    }

    func testForwardMatchesDoubleSums() throws {
        try XCTSkipIf(!VectorKernels.directConvolution, "direct convolutions do not run here (no AVX2+FMA, or switched off)")
        for (index, c) in Self.cases.enumerated() {
            let g = Self.geometry(c)
            let direct = try XCTUnwrap(DirectConvolution(g), "case \(index) should qualify")
            let x = Self.values(c.channels * c.height * c.width, seed: UInt64(index))
            let w = Self.values(c.outChannels * g.patchSize, seed: UInt64(100 + index))
            let b = Self.values(c.outChannels, seed: UInt64(200 + index))
            var want = [Double](repeating: 0, count: c.outChannels * g.outHeight * g.outWidth)
            for o in 0..<c.outChannels {
                for r in 0..<g.outHeight {
                    for col in 0..<g.outWidth {
                        var s = Double(b[o])
                        for ci in 0..<c.channels {
                            for kr in 0..<g.kernelH {
                                for kc in 0..<g.kernelW {
                                    let weight = Double(w[((o * c.channels + ci) * g.kernelH + kr) * g.kernelW + kc])
                                    s += weight * Self.input(x, g, ci, r - g.padH + kr, col - g.padW + kc)
                                }
                            }
                        }
                        want[(o * g.outHeight + r) * g.outWidth + col] = s
                    }
                }
            }
            var scratch = [Float](repeating: .nan, count: direct.scratchFloats)
            for relu in [false, true] {
                var y = [Float](repeating: .nan, count: want.count)
                direct.forward(x: x, w: w, b: b, relu: relu, y: &y, scratch: &scratch)
                let expected = relu ? want.map { max(0, $0) } : want
                XCTAssertLessThanOrEqual(Self.error(y, expected), Tolerances.CPU.blas.value, "case \(index) relu \(relu)")
            }
        }
    }

    func testWeightGradientMatchesDoubleSums() throws {
        try XCTSkipIf(!VectorKernels.directConvolution, "direct convolutions do not run here (no AVX2+FMA, or switched off)")
        for (index, c) in Self.cases.enumerated() {
            let g = Self.geometry(c)
            let direct = try XCTUnwrap(DirectConvolution(g), "case \(index) should qualify")
            let x = Self.values(c.channels * c.height * c.width, seed: UInt64(300 + index))
            let dy = Self.values(c.outChannels * g.outHeight * g.outWidth, seed: UInt64(400 + index))
            let prior = Self.values(c.outChannels * g.patchSize, seed: UInt64(500 + index))
            var sums = [Double](repeating: 0, count: prior.count)
            for o in 0..<c.outChannels {
                for ci in 0..<c.channels {
                    for kr in 0..<g.kernelH {
                        for kc in 0..<g.kernelW {
                            var s = 0.0
                            for r in 0..<g.outHeight {
                                for col in 0..<g.outWidth {
                                    s += Double(dy[(o * g.outHeight + r) * g.outWidth + col])
                                        * Self.input(x, g, ci, r - g.padH + kr, col - g.padW + kc)
                                }
                            }
                            sums[((o * c.channels + ci) * g.kernelH + kr) * g.kernelW + kc] = s
                        }
                    }
                }
            }
            var scratch = [Float](repeating: .nan, count: direct.scratchFloats)
            for accumulate in [false, true] {
                var dw = prior
                direct.filter(x: x, dy: dy, dw: &dw, accumulate: accumulate, scratch: &scratch)
                let want = accumulate ? zip(sums, prior).map { $0 + Double($1) } : sums
                XCTAssertLessThanOrEqual(Self.error(dw, want), Tolerances.CPU.blas.value, "case \(index) accumulate \(accumulate)")
            }
        }
    }
}
