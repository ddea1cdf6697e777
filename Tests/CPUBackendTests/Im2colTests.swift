import XCTest
import Engine
import NetIR
@testable import CPUBackend

/// im2col's gather against a naive element-by-element reference (exact: it only copies), for whole and partial
/// output ranges: whole output rows take the padded-plane path on narrow maps (each worker's share at batch 1),
/// other ranges the per-segment path. Geometries cover strides 1 and 2, padding 0-2, 3x3, 5x5, 3x1 kernels and a
/// vertical dilation.
final class Im2colTests: XCTestCase {
    static func geometry(channels: Int, size: (Int, Int), kernel: Pair, stride: Pair, padding: Pair,
                         dilation: Pair = Pair(1)) -> ConvGeometry {
        let oh = (size.0 + 2 * padding.h - dilation.h * (kernel.h - 1) - 1) / stride.h + 1
        let ow = (size.1 + 2 * padding.w - dilation.w * (kernel.w - 1) - 1) / stride.w + 1
        let a = Conv2dAttributes(inChannels: channels, outChannels: 4, kernel: kernel, stride: stride, padding: padding,
                                 dilation: dilation, groups: 1, bias: false)
        return ConvGeometry(batch: 1, input: TensorShape(channels: channels, height: size.0, width: size.1),
                            output: TensorShape(channels: 4, height: oh, width: ow), attributes: a)
    }

    static let geometries = [
        geometry(channels: 3, size: (7, 7), kernel: Pair(3), stride: Pair(1), padding: Pair(1)),
        geometry(channels: 2, size: (28, 28), kernel: Pair(3), stride: Pair(2), padding: Pair(1)),
        geometry(channels: 2, size: (9, 11), kernel: Pair(5), stride: Pair(1), padding: Pair(2)),
        geometry(channels: 1, size: (10, 6), kernel: Pair(3, 1), stride: Pair(1), padding: Pair(0)),
        geometry(channels: 2, size: (12, 12), kernel: Pair(3), stride: Pair(1), padding: Pair(2), dilation: Pair(2, 1)),
        geometry(channels: 2, size: (14, 14), kernel: Pair(3), stride: Pair(2), padding: Pair(0)),
    ]

    /// Column matrix rows for all channels, output columns `columns`, element by element.
    static func reference(_ x: [Float], _ g: ConvGeometry, columns: Range<Int>) -> [Float] {
        var col: [Float] = []
        for c in 0..<g.inChannels {
            for p in 0..<g.kernelH {
                for q in 0..<g.kernelW {
                    for j in columns {
                        let ih = j / g.outWidth * g.strideH - g.padH + p * g.dilationH
                        let iw = j % g.outWidth * g.strideW - g.padW + q * g.dilationW
                        let inside = ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth
                        col.append(inside ? x[(c * g.inHeight + ih) * g.inWidth + iw] : 0)
                    }
                }
            }
        }
        return col
    }

    func testGatherMatchesElementByElementCopies() {
        for (index, g) in Self.geometries.enumerated() {
            XCTAssertTrue(Im2col.usesPaddedPlane(g), "case \(index) should take the padded-plane path")
            var generator = SplitMix64(seed: UInt64(index))
            let x = (0..<g.inChannels * g.inputPlane).map { _ in Float.random(in: 1...2, using: &generator) }
            let ow = g.outWidth, oh = g.outHeight
            let ranges = [0..<g.outputPlane, 0..<(oh / 2) * ow, (oh / 2) * ow..<g.outputPlane, ow..<2 * ow,
                          (oh - 1) * ow..<oh * ow, 3..<g.outputPlane - 2]
            let im2col = Im2col(g: g)
            for columns in ranges {
                let want = Self.reference(x, g, columns: columns)
                // NaN-filled: a float the gather does not write fails the comparison.
                var col = [Float](repeating: .nan, count: want.count)
                var scratch = [Float](repeating: .nan, count: max(1, Im2col.scratchFloats(g)))
                im2col.gather(x, channels: 0..<g.inChannels, columns: columns, &col, scratch: &scratch)
                XCTAssertEqual(col, want, "case \(index) columns \(columns)")
            }
        }
    }
}
