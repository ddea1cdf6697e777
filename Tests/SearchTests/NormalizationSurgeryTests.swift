import XCTest
import NetIR
@testable import Search

/// Widening or narrowing a convolution re-sizes the normalisations and PReLU behind it (GraphSurgery.adapt), so
/// the rule mutator's children of networks that use them still pass shape inference.
final class NormalizationSurgeryTests: XCTestCase {
    func testScalingResizesNormalizationsAndPReLU() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 8, width: 8))
        var x = try b.conv2d("conv", b.input, out: 8, kernel: 3, padding: 1)
        x = try b.add("gn", .groupNorm(GroupNormAttributes(groups: 2, channels: 8)), [x])
        x = try b.add("act", .prelu(slopes: 8), [x])
        x = try b.add("inorm", .groupNorm(GroupNormAttributes(groups: 8, channels: 8, affine: false)), [x])
        x = try b.add("ln", .layerNorm(LayerNormAttributes(shape: [8, 8, 8])), [x])
        x = try b.add("rows", .layerNorm(LayerNormAttributes(shape: [8])), [x])
        x = try b.add("lrn", .localResponseNorm(LocalResponseNormAttributes(size: 3)), [x])
        let graph = try b.build(output: try b.linear("fc", try b.flatten("flat", x), out: 10))
        for (factor, channels) in [(2.0, 16), (0.5, 4)] {
            var g = GraphSurgery(graph)
            XCTAssertNotNil(RuleEdit.scale(&g, by: factor))
            let child = try g.repaired()
            XCTAssertNoThrow(try child.inferShapes())
            let layers = Dictionary(uniqueKeysWithValues: child.nodes.map { ($0.name, $0.layer) })
            XCTAssertEqual(layers["gn"], .groupNorm(GroupNormAttributes(groups: 2, channels: channels)))
            XCTAssertEqual(layers["act"], .prelu(slopes: channels))
            XCTAssertEqual(layers["inorm"], .groupNorm(GroupNormAttributes(groups: channels, channels: channels, affine: false)))
            XCTAssertEqual(layers["ln"], .layerNorm(LayerNormAttributes(shape: [channels, 8, 8])))
            XCTAssertEqual(layers["rows"], .layerNorm(LayerNormAttributes(shape: [8])))
        }
    }
}
