import Foundation
import XCTest
import NetIR
@testable import NetCode

/// Channel slices (`chunk`, `split`, `x[:, a:b]`), stack-then-reduce, `sum(dims)`, `expand_as` and `flatten(2)`
/// as model-written code spells them, each checked against PyTorch's semantics by hand, and the emitter's round
/// trip for the construct files that use them.
final class ViewSyntaxTests: XCTestCase {
    private func forward(_ lines: [String], channels: Int = 7, input: String = "1x6x6") throws -> Graph {
        try parseNet(network(init: ["self.conv = nn.Conv2d(1, \(channels), 3, padding=1)"], forward: ["x = self.conv(x)"] + lines),
                     input: input).graph
    }

    private func slices(_ g: Graph) -> [Layer] { g.nodes.map(\.layer).filter { $0.typeName == "Slice" } }

    func testChunkFollowsPyTorchsRule() throws {
        // 7 channels in 3 chunks: ceil(7/3) = 3, so 3 + 3 + 1.
        let g = try forward(["a, b, c = x.chunk(3, dim=1)", "return torch.cat([c, a, b], 1).flatten(1)"])
        XCTAssertEqual(slices(g), [.slice(start: 0, count: 3), .slice(start: 3, count: 3), .slice(start: 6, count: 1)])
        // 6 channels in 4 chunks: ceil(6/4) = 2, so only three pieces.
        let h = try forward(["parts = torch.chunk(x, 4, -3)", "return (parts[0] + parts[2]).flatten(1)"], channels: 6)
        XCTAssertEqual(slices(h).count, 3)
    }

    func testSplitBySizeAndSections() throws {
        let bySize = try forward(["a, b = torch.split(x, 4, dim=1)", "return torch.cat([b, a], 1).flatten(1)"])
        XCTAssertEqual(slices(bySize), [.slice(start: 0, count: 4), .slice(start: 4, count: 3)])
        let sections = try forward(["a, b, c = x.split([2, 1, 4], dim=1)", "return (c * 2).flatten(1)"])
        XCTAssertEqual(slices(sections), [.slice(start: 0, count: 2), .slice(start: 2, count: 1), .slice(start: 3, count: 4)])
        XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 7, 3, padding=1)"],
                                                             forward: ["a, b = torch.split(self.conv(x), [2, 4], dim=1)", "return a.flatten(1)"]),
                                                     file: "net.py", input: TensorShape([1, 6, 6])))
    }

    func testIndexing() throws {
        let g = try forward(["y = x[:, 2:5]", "z = x[:, -1]", "s = x.mean((2, 3))[:, :, None, None]",
                             "return torch.cat([(y * s[:, 1:4]).flatten(1), z.flatten(1)], 1)"])
        let shapes = try g.inferShapes()
        XCTAssertEqual(slices(g), [.slice(start: 2, count: 3), .slice(start: 6, count: 1), .slice(start: 1, count: 3)])
        // x[:, -1] drops the channel dimension: [6, 6].
        let z = try XCTUnwrap(g.nodes.firstIndex { $0.layer == .slice(start: 6, count: 1) })
        XCTAssertTrue(g.nodes.indices.contains { g.nodes[$0].inputs == [z] && shapes[$0] == TensorShape([6, 6]) })
        for bad in ["x[0]", "x[:, :, 1:3]", "x[:, ::2]", "x[..., 0]"] {
            XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 7, 3, padding=1)"],
                                                                 forward: ["x = self.conv(x)", "y = \(bad)", "return y.flatten(1)"]),
                                                         file: "net.py", input: TensorShape([1, 6, 6])), bad) { error in
                XCTAssertEqual((error as? SourceError)?.kind, .unsupportedConstruct, bad)
                XCTAssertNotNil((error as? SourceError)?.hint, bad)
            }
        }
    }

    func testStackReducedOverItsDimension() throws {
        let sum = try forward(["y = torch.stack([x, x * 2, -x]).sum(0)", "return y.flatten(1)"])
        XCTAssertEqual(sum.nodes.last { $0.layer == .add }?.inputs.count, 3)
        let mean = try forward(["y = torch.stack([x, x * 2], dim=1).mean(dim=1)", "return y.flatten(1)"])
        XCTAssertEqual(mean.nodes[mean.nodes.count - 2].layer, .affine(scale: 0.5, shift: 0))
        for bad in ["torch.stack([x, x]).flatten(1)", "torch.stack([x, x]).sum(1)", "torch.stack([x, x]) + x"] {
            XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 7, 3, padding=1)"],
                                                                 forward: ["x = self.conv(x)", "return \(bad)"]),
                                                         file: "net.py", input: TensorShape([1, 6, 6])), bad)
        }
    }

    /// `sum` is the mean times the elements it adds; `flatten(2)` is a view; `expand_as` only feeds arithmetic.
    func testSumFlatten2AndExpandAs() throws {
        let sum = try forward(["return x.sum(dim=(2, 3))"])
        XCTAssertEqual(sum.nodes.last?.layer, .affine(scale: 36, shift: 0))
        let tokens = try forward(["return x.flatten(2).sum(-1)"])
        XCTAssertEqual(try tokens.inferShapes()[1 + 1], TensorShape([7, 36]))
        XCTAssertEqual(tokens.outputShape, TensorShape(features: 7))
        let gate = try forward(["s = torch.sigmoid(x.mean((2, 3), keepdim=True))", "return (x * s.expand_as(x)).flatten(1)"])
        XCTAssertEqual(gate.nodes.last { $0.layer == .multiply }.map { gate.nodes[$0.inputs[1]].layer.typeName }, "Sigmoid")
        // An expanded tensor has the target's shape in PyTorch; anything but arithmetic with that shape is refused.
        XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 7, 3, padding=1)"],
                                                             forward: ["x = self.conv(x)", "s = x.mean((2, 3), keepdim=True)", "return s.expand_as(x).flatten(1)"]),
                                                     file: "net.py", input: TensorShape([1, 6, 6])))
    }

    /// The construct files these forms made pass: emitting gives source that parses back to the same layers,
    /// wiring, shapes and parameters, and emitting that again gives the same text.
    func testConstructsRoundTrip() throws {
        let files = ["view_chunk.py", "view_torch_chunk.py", "view_split.py", "view_split_method.py", "view_stack_mean.py",
                     "view_stack_sum.py", "view_flatten2.py", "arith_sum_dims.py", "net_se_resnet.py", "arith_channel_scale.py"]
        for file in files {
            let source = try String(contentsOf: try ConstructCoverageTests.directory().appendingPathComponent(file), encoding: .utf8)
            let g = try NetworkSource.parse(source, file: file, input: TensorShape([1, 28, 28]), className: "Net").graph
            let emitted = NetworkSource.emit(g)
            let back = try NetworkSource.parse(emitted, file: "emitted.py", input: g.inputShape).graph
            XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer), file)
            XCTAssertEqual(back.nodes.map(\.inputs), g.nodes.map(\.inputs), file)
            XCTAssertEqual(try back.inferShapes(), try g.inferShapes(), file)
            XCTAssertEqual(back.parameters.map(\.name), g.parameters.map(\.name), file)
            XCTAssertEqual(NetworkSource.emit(back), emitted, "\(file): emitting is not stable")
        }
    }
}

/// Upsampling as code models write it: module and functional forms, sizes and integer scales, refusals.
final class UpsampleSyntaxTests: XCTestCase {
    private func upsampled(_ extra: [String], _ forward: String) throws -> Graph {
        try parseNet(network(init: ["self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)"] + extra,
                             forward: ["x = self.conv(x)", forward, "return x.flatten(1)"])).graph
    }

    func testSpellings() throws {
        let spellings: [(String, String, UpsampleAttributes)] = [
            ("self.up = nn.Upsample(scale_factor=2, mode='nearest')", "x = self.up(x)", UpsampleAttributes(scale: Pair(2))),
            ("self.up = nn.Upsample(scale_factor=2.0)", "x = self.up(x)", UpsampleAttributes(scale: Pair(2))),
            ("self.up = nn.UpsamplingNearest2d(scale_factor=2)", "x = self.up(x)", UpsampleAttributes(scale: Pair(2))),
            ("self.up = nn.Upsample(size=(28, 21), mode='bilinear', align_corners=False)", "x = self.up(x)",
             UpsampleAttributes(size: Pair(28, 21), bilinear: true)),
            ("pass", "x = F.interpolate(x, scale_factor=(2, 3))", UpsampleAttributes(scale: Pair(2, 3))),
            ("pass", "x = F.interpolate(x, size=28, mode='bilinear')", UpsampleAttributes(size: Pair(28), bilinear: true)),
        ]
        for (initLine, forwardLine, expected) in spellings {
            let g = try upsampled(initLine == "pass" ? [] : [initLine], forwardLine)
            let node = try XCTUnwrap(g.nodes.first { $0.layer.typeName == "Upsample" }, forwardLine)
            XCTAssertEqual(node.layer, .upsample(expected), forwardLine)
            let back = try parseNet(NetworkSource.emit(g)).graph
            XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer), "round trip of \(forwardLine)")
            XCTAssertEqual(try back.inferShapes(), try g.inferShapes(), forwardLine)
        }
    }

    func testRefusals() {
        let refused: [(String, SourceError.Kind)] = [
            ("x = F.interpolate(x, scale_factor=1.5)", .unsupportedOption),
            ("x = F.interpolate(x, scale_factor=2, mode='bicubic')", .unsupportedOption),
            ("x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)", .unsupportedOption),
            ("x = F.interpolate(x, scale_factor=2, size=28)", .arguments),
            ("x = F.interpolate(x)", .arguments),
        ]
        for (line, kind) in refused {
            XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 4, 3)"], forward: ["x = self.conv(x)", line, "return x.flatten(1)"]),
                                                         file: "net.py", input: TensorShape([1, 8, 8])), line) { error in
                XCTAssertEqual((error as? SourceError)?.kind, kind, "\(line): \(error)")
            }
        }
    }

    func testConstructsRoundTrip() throws {
        for file in ["up_upsample_nearest.py", "up_interpolate_scale.py", "up_interpolate_size.py", "up_upsample_bilinear.py"] {
            let source = try String(contentsOf: try ConstructCoverageTests.directory().appendingPathComponent(file), encoding: .utf8)
            let g = try NetworkSource.parse(source, file: file, input: TensorShape([1, 28, 28]), className: "Net").graph
            let emitted = NetworkSource.emit(g)
            let back = try NetworkSource.parse(emitted, file: "emitted.py", input: g.inputShape).graph
            XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer), file)
            XCTAssertEqual(back.nodes.map(\.inputs), g.nodes.map(\.inputs), file)
            XCTAssertEqual(NetworkSource.emit(back), emitted, "\(file): emitting is not stable")
        }
    }
}

/// nn.ConvTranspose2d: PyTorch's parameter layout and output size, emitted back the same.
final class ConvTransposeSyntaxTests: XCTestCase {
    func testParametersShapeAndRoundTrip() throws {
        let g = try parseNet(network(init: ["self.conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)",
                                            "self.up = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=1)"],
                                     forward: ["return self.up(self.conv(x)).flatten(1)"])).graph
        XCTAssertEqual(g.parameters.first { $0.name == "up.weight" }?.dims, [8, 3, 3, 3])
        XCTAssertNil(g.parameters.first { $0.name == "up.bias" })
        XCTAssertEqual(try g.inferShapes()[2], TensorShape(channels: 6, height: 28, width: 28))
        let back = try parseNet(NetworkSource.emit(g)).graph
        XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer))
        XCTAssertThrowsError(try NetworkSource.parse(network(init: ["self.up = nn.ConvTranspose2d(1, 2, 3, stride=2, output_padding=2)"],
                                                             forward: ["return self.up(x).flatten(1)"]), file: "net.py", input: TensorShape([1, 4, 4])))
    }

    func testConstructsRoundTrip() throws {
        for file in ["up_convtranspose.py", "up_convtranspose_outpad.py", "up_unet_skip.py"] {
            let source = try String(contentsOf: try ConstructCoverageTests.directory().appendingPathComponent(file), encoding: .utf8)
            let g = try NetworkSource.parse(source, file: file, input: TensorShape([1, 28, 28]), className: "Net").graph
            let emitted = NetworkSource.emit(g)
            let back = try NetworkSource.parse(emitted, file: "emitted.py", input: g.inputShape).graph
            XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer), file)
            XCTAssertEqual(back.parameters.map(\.name), g.parameters.map(\.name), file)
            XCTAssertEqual(NetworkSource.emit(back), emitted, "\(file): emitting is not stable")
        }
    }
}

/// transpose/permute (the batch stays first), a Linear over tokens, the mean over tokens.
final class PermuteSyntaxTests: XCTestCase {
    func testSpellingsAndRefusals() throws {
        func parsed(_ line: String) throws -> Graph {
            try NetworkSource.parse(network(init: ["self.conv = nn.Conv2d(1, 4, 3, padding=1)"], forward: ["x = self.conv(x)", line, "return x.flatten(1)"]),
                                    file: "net.py", input: TensorShape([1, 5, 6])).graph
        }
        for (line, order) in [("x = x.transpose(1, 2)", [1, 0, 2]), ("x = torch.transpose(x, -1, -2)", [0, 2, 1]),
                              ("x = x.permute(0, 2, 3, 1)", [1, 2, 0]), ("x = x.permute((0, 3, 1, 2))", [2, 0, 1]),
                              ("x = torch.permute(x, (0, 3, 2, 1))", [2, 1, 0])] {
            let g = try parsed(line)
            XCTAssertEqual(g.nodes.first { $0.layer.typeName == "Permute" }?.layer, .permute(order: order), line)
            XCTAssertEqual(try parseNet(NetworkSource.emit(g), input: "1x5x6").graph.nodes.map(\.layer), g.nodes.map(\.layer), line)
        }
        XCTAssertEqual(try parsed("x = x.transpose(2, 2)").nodes.count, 3, "the identity adds no node")
        for bad in ["x = x.transpose(0, 1)", "x = x.permute(1, 0, 2, 3)", "x = x.permute(0, 1, 2)"] {
            XCTAssertThrowsError(try parsed(bad), bad)
        }
    }

    func testTokensThroughALinear() throws {
        let g = try parseNet(network(init: ["self.conv = nn.Conv2d(1, 8, 3, padding=1)", "self.proj = nn.Linear(8, 16)", "self.fc = nn.Linear(16, 10)"],
                                     forward: ["x = self.conv(x).flatten(2).transpose(1, 2)", "x = self.proj(x)",
                                               "return self.fc(x.mean(dim=1) + x.mean(1, keepdim=True).squeeze(1))"]), input: "1x4x5").graph
        let shapes = try g.inferShapes()
        let proj = try XCTUnwrap(g.nodes.firstIndex { $0.module == "proj" })
        XCTAssertEqual(shapes[proj], TensorShape([20, 16]))
        XCTAssertEqual(g.outputShape, TensorShape(features: 10))
        XCTAssertEqual(try g.cost().flops - (try g.cost().flops - g.flopsPerNode(shapes: shapes)[proj]), 20 * (2 * 8 * 16 + 16))
    }

    func testConstructRoundTrip() throws {
        let file = "view_transpose_tokens.py"
        let source = try String(contentsOf: try ConstructCoverageTests.directory().appendingPathComponent(file), encoding: .utf8)
        let g = try NetworkSource.parse(source, file: file, input: TensorShape([1, 28, 28]), className: "Net").graph
        let emitted = NetworkSource.emit(g)
        let back = try NetworkSource.parse(emitted, file: "emitted.py", input: g.inputShape).graph
        XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer))
        XCTAssertEqual(back.nodes.map(\.inputs), g.nodes.map(\.inputs))
        XCTAssertEqual(NetworkSource.emit(back), emitted, "emitting is not stable")
    }
}
