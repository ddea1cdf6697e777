import XCTest
import NetIR
@testable import NetCode

/// Padding, adaptive max pooling, amax and the alpha dropouts as code models spell them; each parses to the
/// expected layer and the emitted source parses back to the same layers.
final class PadPoolSyntaxTests: XCTestCase {
    func assertRoundTrip(_ graph: Graph, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let again = try parseNet(NetworkSource.emit(graph)).graph
        XCTAssertEqual(again.nodes.map(\.layer), graph.nodes.map(\.layer), "\(what) emitted", file: file, line: line)
    }

    func testPaddingSpellings() throws {
        let cases: [(module: String?, call: String, PadAttributes)] = [
            ("nn.ZeroPad2d(2)", "self.pad(x)", PadAttributes(2)),
            ("nn.ZeroPad2d((1, 2, 3, 4))", "self.pad(x)", PadAttributes(left: 1, right: 2, top: 3, bottom: 4)),
            ("nn.ConstantPad2d(1, 0.5)", "self.pad(x)", PadAttributes(1, value: 0.5)),
            ("nn.ReflectionPad2d(1)", "self.pad(x)", PadAttributes(1, mode: .reflect)),
            ("nn.ReplicationPad2d((0, 1, 2, 0))", "self.pad(x)", PadAttributes(left: 0, right: 1, top: 2, bottom: 0, mode: .replicate)),
            (nil, "F.pad(x, (1, 1, 1, 1))", PadAttributes(1)),
            (nil, "F.pad(x, (0, 1, 0, 1))", PadAttributes(left: 0, right: 1, top: 0, bottom: 1)),
            (nil, "F.pad(x, (1, 2))", PadAttributes(left: 1, right: 2, top: 0, bottom: 0)),
            (nil, "F.pad(x, (1, 1, 2, 2), mode='reflect')", PadAttributes(left: 1, right: 1, top: 2, bottom: 2, mode: .reflect)),
            (nil, "F.pad(x, [1, 1, 1, 1], 'replicate')", PadAttributes(1, mode: .replicate)),
            (nil, "F.pad(x, (1, 1, 1, 1), value=-1.0)", PadAttributes(1, value: -1)),
        ]
        for (module, call, expected) in cases {
            let source = network(init: (module.map { ["self.pad = \($0)"] } ?? []) + ["self.conv = nn.Conv2d(1, 4, 3)"],
                                 forward: ["x = self.conv(\(call))", "return torch.flatten(x, 1)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(graph.nodes[1].layer, .pad(expected), call)
            try assertRoundTrip(graph, module ?? call)
        }
    }

    /// Conv2d(padding_mode='reflect'|'replicate') is Pad + Conv2d(padding=0): the same parameters under the same
    /// names, emitted back as F.pad before the convolution.
    func testConvolutionPaddingModes() throws {
        for mode in [PadMode.reflect, .replicate] {
            let source = network(init: ["self.conv = nn.Conv2d(1, 4, 3, padding=(1, 2), padding_mode='\(mode.rawValue)')"],
                                 forward: ["return torch.flatten(self.conv(x), 1)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(graph.nodes[1].layer, .pad(PadAttributes(left: 2, right: 2, top: 1, bottom: 1, mode: mode)))
            XCTAssertEqual(graph.nodes[2].layer, .conv2d(Conv2dAttributes(inChannels: 1, outChannels: 4, kernel: Pair(3))))
            XCTAssertEqual(graph.outputShape, TensorShape(features: 4 * 28 * 30))
            XCTAssertEqual(graph.parameters.map(\.name), ["conv.weight", "conv.bias"])
            try assertRoundTrip(graph, "padding_mode=\(mode)")
        }
        let none = try parseNet(network(init: ["self.conv = nn.Conv2d(1, 4, 3, padding_mode='reflect')"],
                                        forward: ["return torch.flatten(self.conv(x), 1)"])).graph
        XCTAssertEqual(none.layerNames, ["Input", "Conv2d", "Flatten"], "no padding, no Pad node")
        let circular = parseError(network(init: ["self.conv = nn.Conv2d(1, 4, 3, padding=1, padding_mode='circular')"],
                                          forward: ["return torch.flatten(self.conv(x), 1)"]))
        XCTAssertTrue(circular?.contains("padding_mode='circular' is not supported") == true, circular ?? "parsed")
    }

    func testPaddingRefusals() {
        let cases: [(String, String)] = [
            ("F.pad(x, (1, 1, 1, 1), mode='circular')", "mode='circular' is not supported"),
            ("F.pad(x, (-1, 0, 0, 0))", "negative padding"),
            ("F.pad(x, (1, 1, 1))", "pad must be"),
            ("F.pad(x, (28, 0, 0, 0), mode='reflect')", "must be less than the input's size"),
        ]
        for (call, message) in cases {
            let error = parseError(network(init: [], forward: ["return torch.flatten(\(call), 1)"]))
            XCTAssertTrue(error?.contains(message) == true, "\(call): \(error ?? "parsed")")
        }
    }

    func testAdaptiveMaxPoolAndAmax() throws {
        let cases: [(module: String?, call: String, [Layer])] = [
            ("nn.AdaptiveMaxPool2d(1)", "self.pool(x)", [.adaptiveMaxPool2d(outHeight: 1, outWidth: 1)]),
            ("nn.AdaptiveMaxPool2d((2, 7))", "self.pool(x)", [.adaptiveMaxPool2d(outHeight: 2, outWidth: 7)]),
            (nil, "F.adaptive_max_pool2d(x, 2)", [.adaptiveMaxPool2d(outHeight: 2, outWidth: 2)]),
            (nil, "torch.amax(x, dim=(2, 3))", [.adaptiveMaxPool2d(outHeight: 1, outWidth: 1), .flatten]),
            (nil, "x.amax(dim=(-2, -1))", [.adaptiveMaxPool2d(outHeight: 1, outWidth: 1), .flatten]),
            (nil, "x.amax((2, 3), keepdim=True)", [.adaptiveMaxPool2d(outHeight: 1, outWidth: 1)]),
        ]
        for (module, call, layers) in cases {
            let source = network(init: (module.map { ["self.pool = \($0)"] } ?? []) + ["self.conv = nn.Conv2d(1, 4, 3, padding=1)"],
                                 forward: ["x = self.conv(x)", "x = \(call)", "return torch.flatten(x, 1)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(Array(graph.nodes.dropFirst(2).prefix(layers.count)).map(\.layer), layers, call)
            try assertRoundTrip(graph, call)
        }
        let uneven = parseError(network(init: ["self.pool = nn.AdaptiveMaxPool2d(3)"], forward: ["return torch.flatten(self.pool(x), 1)"]))
        XCTAssertTrue(uneven?.contains("the output size must divide the input's") == true, uneven ?? "parsed")
        let channels = parseError(network(init: [], forward: ["return torch.amax(x, dim=1)"]))
        XCTAssertTrue(channels?.contains("only the max over the spatial dims (2, 3)") == true, channels ?? "parsed")
    }

    func testAlphaDropouts() throws {
        let cases: [(module: String?, call: String, Layer?)] = [
            ("nn.AlphaDropout(0.1)", "self.drop(x)", .alphaDropout(p: 0.1, feature: false)),
            ("nn.FeatureAlphaDropout(0.2)", "self.drop(x)", .alphaDropout(p: 0.2, feature: true)),
            (nil, "F.alpha_dropout(x, 0.1, training=self.training)", .alphaDropout(p: 0.1, feature: false)),
            (nil, "F.feature_alpha_dropout(x, p=0.3, training=self.training)", .alphaDropout(p: 0.3, feature: true)),
            (nil, "F.alpha_dropout(x, 0.1)", nil),   // PyTorch's default training=False: the identity
        ]
        for (module, call, layer) in cases {
            let source = network(init: (module.map { ["self.drop = \($0)"] } ?? []) + ["self.conv = nn.Conv2d(1, 4, 3)"],
                                 forward: ["x = \(call)", "return torch.flatten(self.conv(x), 1)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(graph.nodes[1].layer, layer ?? graph.nodes[1].layer, call)
            if layer == nil { XCTAssertEqual(graph.layerNames, ["Input", "Conv2d", "Flatten"], call) }
            try assertRoundTrip(graph, call)
        }
    }

    /// `x.max(dim=2)` of a `[C, L]` view: view to [C, 1, L], global max pool, view to [C]; indices are None.
    func testMaxOverTheLastDimension() throws {
        let spellings = ["x, _ = x.max(dim=2)", "x = torch.max(x, 2)[0]", "x = x.max(-1, keepdim=True)[0].squeeze(-1)"]
        for line in spellings {
            let source = network(init: ["self.conv = nn.Conv2d(1, 4, 3, padding=1)", "self.fc = nn.Linear(4, 10)"],
                                 forward: ["x = self.conv(x).view(x.size(0), 4, -1)", line, "return self.fc(x)"])
            let graph = try parseNet(source).graph
            XCTAssertTrue(graph.nodes.contains { $0.layer == .adaptiveMaxPool2d(outHeight: 1, outWidth: 1) }, line)
            XCTAssertTrue(graph.nodes.contains { $0.layer == .reshape(dims: [4, 1, 784]) }, line)
            XCTAssertEqual(graph.outputShape, TensorShape(features: 10), line)
            try assertRoundTrip(graph, line)
        }
        let image = parseError(network(init: [], forward: ["x, _ = x.max(dim=2)", "return x"]))
        XCTAssertTrue(image?.contains("only supported over the last dimension of a [C, L] tensor") == true, image ?? "parsed")
        let pair = parseError(network(init: [], forward: ["return torch.flatten(torch.max(x, x), 1)"]))
        XCTAssertTrue(pair?.contains("elementwise maximum of two tensors is not supported") == true, pair ?? "parsed")
    }
}
