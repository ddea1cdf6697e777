import XCTest
import Engine
import NetIR
import OpTable
@testable import CPUBackend

/// Both Winograd tile sizes, F(2×2, 3×3) and F(4×4, 3×3), in all three passes against Double sums, whatever tile
/// the backend picks by default for a shape (the op table's Winograd rows see only the default). Shapes: maps that
/// are not a multiple of the tile (partial tiles, a partial last group of four tiles), padding 0-2, several
/// chunks of samples with the last one partial, and a worker's slice of samples that does not start at 0.
final class WinogradTests: XCTestCase {
    struct Case {
        let channels, outChannels, height, width, padding, batch: Int
    }

    static let cases = [
        Case(channels: 16, outChannels: 16, height: 9, width: 10, padding: 1, batch: 16),
        Case(channels: 16, outChannels: 24, height: 28, width: 28, padding: 1, batch: 3),
        Case(channels: 32, outChannels: 17, height: 8, width: 12, padding: 2, batch: 9),
        Case(channels: 20, outChannels: 16, height: 7, width: 7, padding: 0, batch: 20),
        Case(channels: 16, outChannels: 32, height: 13, width: 22, padding: 1, batch: 2),
    ]

    static func geometry(_ c: Case) -> ConvGeometry {
        let a = Conv2dAttributes(inChannels: c.channels, outChannels: c.outChannels, kernel: Pair(3), stride: Pair(1),
                                 padding: Pair(c.padding), dilation: Pair(1), groups: 1, bias: true)
        let oh = c.height + 2 * c.padding - 2, ow = c.width + 2 * c.padding - 2
        return ConvGeometry(batch: c.batch, input: TensorShape(channels: c.channels, height: c.height, width: c.width),
                            output: TensorShape(channels: c.outChannels, height: oh, width: ow), attributes: a)
    }

    /// x (=input at channel, row, column of sample n; zero in the padding).
    static func at(_ x: [Float], _ n: Int, _ channels: Int, _ h: Int, _ w: Int, _ ci: Int, _ r: Int, _ c: Int) -> Double {
        r < 0 || c < 0 || r >= h || c >= w ? 0 : Double(x[((n * channels + ci) * h + r) * w + c])
    }

    /// The samples a worker computes in these tests: all but the first two (an offset slice).
    static func slice(_ g: ConvGeometry) -> Range<Int> { min(2, g.batch - 1)..<g.batch }

    func testForwardBothTiles() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = Self.geometry(c)
            let x = DirectConvolutionTests.values(c.batch * c.channels * c.height * c.width, seed: UInt64(index))
            let w = DirectConvolutionTests.values(c.outChannels * g.patchSize, seed: UInt64(100 + index))
            let b = DirectConvolutionTests.values(c.outChannels, seed: UInt64(200 + index))
            let plane = g.outputPlane, samples = Self.slice(g)
            var want = [Double](repeating: 0, count: c.batch * c.outChannels * plane)
            for n in samples {
                for o in 0..<c.outChannels {
                    for r in 0..<g.outHeight {
                        for col in 0..<g.outWidth {
                            var s = Double(b[o])
                            for ci in 0..<c.channels {
                                for kr in 0..<3 {
                                    for kc in 0..<3 {
                                        s += Double(w[((o * c.channels + ci) * 3 + kr) * 3 + kc])
                                            * Self.at(x, n, c.channels, c.height, c.width, ci, r - c.padding + kr, col - c.padding + kc)
                                    }
                                }
                            }
                            want[(n * c.outChannels + o) * plane + r * g.outWidth + col] = s
                        }
                    }
                }
            }
            let offset = samples.lowerBound * c.outChannels * plane
            let expected = Array(want[offset...])
            for tile in [2, 4] {
                let kernel = try XCTUnwrap(WinogradConvolution(g, tile: tile), "case \(index) should qualify")
                var scratch = [Float](repeating: .nan, count: kernel.scratchFloats)
                var y = [Float](repeating: .nan, count: want.count)
                kernel.run(x: x, w: w, b: b, y: &y, act: .relu, accumulate: false, samples: samples, scratch: &scratch)
                XCTAssertLessThanOrEqual(DirectConvolutionTests.error(Array(y[offset...]), expected.map { max(0, $0) }),
                                         Tolerances.CPU.blas.value, "case \(index) F(\(tile)) relu")
                // Accumulating adds the convolution without bias or activation.
                let base = DirectConvolutionTests.values(want.count, seed: UInt64(300 + index))
                y = base
                kernel.run(x: x, w: w, b: b, y: &y, act: nil, accumulate: true, samples: samples, scratch: &scratch)
                let accumulated = expected.indices.map { i -> Double in
                    let o = (i / plane) % c.outChannels
                    return expected[i] - Double(b[o]) + Double(base[offset + i])
                }
                XCTAssertLessThanOrEqual(DirectConvolutionTests.error(Array(y[offset...]), accumulated),
                                         Tolerances.CPU.blas.value, "case \(index) F(\(tile)) accumulate")
                XCTAssertEqual(Array(y[..<offset]), Array(base[..<offset]), "case \(index) F(\(tile)): other samples untouched")
            }
        }
    }

    func testBackwardDataBothTiles() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = Self.geometry(c)
            let transposed = try XCTUnwrap(ConvolutionBackwardDataGather(g)).t
            let dy = DirectConvolutionTests.values(c.batch * c.outChannels * g.outputPlane, seed: UInt64(400 + index))
            let w = DirectConvolutionTests.values(c.outChannels * g.patchSize, seed: UInt64(500 + index))
            let plane = g.inputPlane, samples = Self.slice(g)
            var want = [Double](repeating: 0, count: c.batch * c.channels * plane)
            for n in samples {
                for ci in 0..<c.channels {
                    for r in 0..<c.height {
                        for col in 0..<c.width {
                            var s = 0.0
                            for o in 0..<c.outChannels {
                                for kr in 0..<3 {
                                    for kc in 0..<3 {
                                        s += Double(w[((o * c.channels + ci) * 3 + kr) * 3 + kc])
                                            * Self.at(dy, n, c.outChannels, g.outHeight, g.outWidth, o,
                                                      r + c.padding - kr, col + c.padding - kc)
                                    }
                                }
                            }
                            want[(n * c.channels + ci) * plane + r * c.width + col] = s
                        }
                    }
                }
            }
            let offset = samples.lowerBound * c.channels * plane
            for tile in [2, 4] {
                let kernel = try XCTUnwrap(WinogradConvolution(transposed, flipped: true, tile: tile), "case \(index)")
                var scratch = [Float](repeating: .nan, count: kernel.scratchFloats)
                var dx = [Float](repeating: .nan, count: want.count)
                kernel.run(x: dy, w: w, b: nil, y: &dx, act: nil, accumulate: false, samples: samples, scratch: &scratch)
                XCTAssertLessThanOrEqual(DirectConvolutionTests.error(Array(dx[offset...]), Array(want[offset...])),
                                         Tolerances.CPU.blas.value, "case \(index) F(\(tile))")
            }
        }
    }

    func testWeightGradientBothTiles() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = Self.geometry(c)
            let x = DirectConvolutionTests.values(c.batch * c.channels * c.height * c.width, seed: UInt64(600 + index))
            let dy = DirectConvolutionTests.values(c.batch * c.outChannels * g.outputPlane, seed: UInt64(700 + index))
            let samples = Self.slice(g)
            var want = [Double](repeating: 0, count: c.outChannels * g.patchSize)
            for o in 0..<c.outChannels {
                for ci in 0..<c.channels {
                    for kr in 0..<3 {
                        for kc in 0..<3 {
                            var s = 0.0
                            for n in samples {
                                for r in 0..<g.outHeight {
                                    for col in 0..<g.outWidth {
                                        s += Double(dy[((n * c.outChannels + o) * g.outHeight + r) * g.outWidth + col])
                                            * Self.at(x, n, c.channels, c.height, c.width, ci, r - c.padding + kr, col - c.padding + kc)
                                    }
                                }
                            }
                            want[((o * c.channels + ci) * 3 + kr) * 3 + kc] = s
                        }
                    }
                }
            }
            for tile in [2, 4] {
                let kernel = try XCTUnwrap(WinogradConvolution(g, tile: tile), "case \(index)")
                var scratch = [Float](repeating: .nan, count: kernel.scratchFloats)
                var dw = [Float](repeating: .nan, count: want.count)
                kernel.weightGradient(x: x, dy: dy, dw: &dw, overwrite: true, samples: samples, scratch: &scratch)
                XCTAssertLessThanOrEqual(DirectConvolutionTests.error(dw, want), Tolerances.CPU.blas.value,
                                         "case \(index) F(\(tile)) overwrite")
                let base = DirectConvolutionTests.values(want.count, seed: UInt64(800 + index))
                dw = base
                kernel.weightGradient(x: x, dy: dy, dw: &dw, overwrite: false, samples: samples, scratch: &scratch)
                XCTAssertLessThanOrEqual(DirectConvolutionTests.error(dw, zip(want, base).map { $0 + Double($1) }),
                                         Tolerances.CPU.blas.value, "case \(index) F(\(tile)) accumulate")
            }
        }
    }
}
