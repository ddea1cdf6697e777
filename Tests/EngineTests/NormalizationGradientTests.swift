import XCTest
import NetIR
import Engine
import ReferenceBackend

/// GroupNorm (InstanceNorm is a GroupNorm with one group per channel) and LayerNorm on the reference against
/// central finite differences of the train-mode loss (tolerance: `checkGradients`). Each sits behind a conv or
/// linear stem without bias, so its input gradient reaches a parameter and is checked too; the affine γ and β
/// are random (`randomParameters`), so the scale's part of dx is exercised.
final class NormalizationGradientTests: XCTestCase {
    let image = TensorShape(channels: 4, height: 3, width: 5)

    func norm(_ layer: Layer, input: TensorShape? = nil, fanOut: Bool = false) throws -> Graph {
        try classifier(input ?? image) { b, x in
            let stem: NetworkBuilder.Value
            if b.shape(of: x).rank == 1 {
                stem = try b.linear("stem", x, out: b.shape(of: x).count, bias: false)
            } else {
                stem = try b.conv2d("stem", x, out: b.shape(of: x).channels, kernel: 3, padding: 1, bias: false)
            }
            let y = try b.add("norm", layer, [stem])
            // Fan-out: the stem's gradient is accumulated from the norm and from a direct path.
            return fanOut ? try b.addValues("skip", try b.activation("act", y, .tanh), stem) : try b.activation("act", y, .tanh)
        }
    }

    func testGroupNormGradients() throws {
        let cases: [(String, GroupNormAttributes)] = [
            ("2 groups of 2", GroupNormAttributes(groups: 2, channels: 4)),
            ("1 group", GroupNormAttributes(groups: 1, channels: 4, eps: 1e-3)),
            ("instance norm, no affine", GroupNormAttributes(groups: 4, channels: 4, affine: false)),
            ("instance norm, affine", GroupNormAttributes(groups: 4, channels: 4)),
        ]
        for (name, a) in cases {
            try assertGradientsMatch("GroupNorm \(name)", try norm(.groupNorm(a)))
        }
        try assertGradientsMatch("GroupNorm fan-out", try norm(.groupNorm(GroupNormAttributes(groups: 2, channels: 4)), fanOut: true))
        try assertGradientsMatch("GroupNorm over features", try norm(.groupNorm(GroupNormAttributes(groups: 3, channels: 6)),
                                                                     input: TensorShape(features: 6)))
    }

    func testLayerNormGradients() throws {
        let cases: [(String, LayerNormAttributes, TensorShape?)] = [
            ("[C, H, W]", LayerNormAttributes(shape: [4, 3, 5]), nil),
            ("[W] (rows of each plane)", LayerNormAttributes(shape: [5], eps: 1e-3), nil),
            ("[H, W] without bias", LayerNormAttributes(shape: [3, 5], bias: false), nil),
            ("features", LayerNormAttributes(shape: [7]), TensorShape(features: 7)),
            ("features, no affine", LayerNormAttributes(shape: [7], affine: false), TensorShape(features: 7)),
        ]
        for (name, a, input) in cases {
            try assertGradientsMatch("LayerNorm \(name)", try norm(.layerNorm(a), input: input))
        }
        try assertGradientsMatch("LayerNorm fan-out", try norm(.layerNorm(LayerNormAttributes(shape: [5])), fanOut: true))
    }

    /// The parameter and buffer layout PyTorch's state_dict has: GroupNorm `[C]`, LayerNorm the normalised shape.
    func testParameterShapes() throws {
        XCTAssertEqual(Layer.groupNorm(GroupNormAttributes(groups: 2, channels: 8)).parameterShapes.map(\.dims), [[8], [8]])
        XCTAssertEqual(Layer.groupNorm(GroupNormAttributes(groups: 8, channels: 8, affine: false)).parameterShapes.count, 0)
        XCTAssertEqual(Layer.layerNorm(LayerNormAttributes(shape: [8, 28, 28])).parameterShapes.map(\.suffix), ["weight", "bias"])
        XCTAssertEqual(Layer.layerNorm(LayerNormAttributes(shape: [8, 28, 28])).parameterShapes.map(\.dims), [[8, 28, 28], [8, 28, 28]])
        XCTAssertEqual(Layer.layerNorm(LayerNormAttributes(shape: [64], bias: false)).parameterShapes.map(\.suffix), ["weight"])
    }

    /// The affine parameter of each element: GroupNorm's channel, LayerNorm's element.
    func testRowNormGeometry() throws {
        let shape = TensorShape(channels: 6, height: 2, width: 3)
        let g = try XCTUnwrap(RowNormGeometry(batch: 2, input: shape, layer: .groupNorm(GroupNormAttributes(groups: 3, channels: 6))))
        XCTAssertEqual([g.rows, g.inner, g.parameterCount], [6, 12, 6])
        // Sample 1, group 2 is row 5; its element 7 is channel 2·2 + 1 = 5.
        XCTAssertEqual(g.parameter(row: 5, element: 7), 5)
        let l = try XCTUnwrap(RowNormGeometry(batch: 2, input: shape, layer: .layerNorm(LayerNormAttributes(shape: [2, 3]))))
        XCTAssertEqual([l.rows, l.inner, l.parameterCount], [12, 6, 6])
        XCTAssertEqual(l.parameter(row: 7, element: 4), 4)
        XCTAssertThrowsError(try Graph.single(.layerNorm(LayerNormAttributes(shape: [3, 2])), input: shape))
        XCTAssertThrowsError(try Graph.single(.groupNorm(GroupNormAttributes(groups: 4, channels: 6)), input: shape))
    }
}

extension Graph {
    /// `input -> layer` alone, for shape checks.
    static func single(_ layer: Layer, input: TensorShape) throws -> [TensorShape] {
        var b = NetworkBuilder(input: input)
        let y = try b.add("layer", layer, [b.input])
        return try b.build(output: try b.linear("head", try b.flatten("flatten", y), out: 2)).inferShapes()
    }
}
