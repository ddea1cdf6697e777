import XCTest
import NetIR
@testable import NetCode

/// Tensor arithmetic as model-written code spells it: gates, scalars, subtraction, `torch.mul`.
final class TensorArithmeticTests: XCTestCase {
    func testSqueezeExcitationGate() throws {
        let source = network(init: [
            "self.conv = nn.Conv2d(1, 8, 3, padding=1)", "self.pool = nn.AdaptiveAvgPool2d(1)",
            "self.fc1 = nn.Conv2d(8, 2, 1)", "self.fc2 = nn.Conv2d(2, 8, 1)", "self.head = nn.Linear(8 * 28 * 28, 10)",
        ], forward: [
            "x = F.relu(self.conv(x))", "s = torch.sigmoid(self.fc2(F.relu(self.fc1(self.pool(x)))))",
            "x = x * s", "return self.head(torch.flatten(x, 1))",
        ])
        let graph = try parseNet(source).graph
        let mul = try XCTUnwrap(graph.nodes.first { $0.layer == .multiply })
        XCTAssertEqual(graph.nodes[mul.inputs[0]].layer.typeName, "ReLU", "the full operand goes first")
        XCTAssertEqual(graph.outputShape, TensorShape(features: 10))
        // Gate first is the same node (operands reordered), and the emitted source parses back to the same graph.
        let swapped = try parseNet(source.replacingOccurrences(of: "x = x * s", with: "x = torch.mul(s, x)")).graph
        XCTAssertEqual(swapped.nodes.map(\.layer), graph.nodes.map(\.layer))
        let again = try parseNet(NetworkSource.emit(graph)).graph
        XCTAssertEqual(again.nodes.map(\.layer), graph.nodes.map(\.layer))
    }

    /// The Linear squeeze-excitation block as code models write it, with each view spelling.
    func testViewsAroundALinearGate() throws {
        let spellings = [
            ("y = self.pool(x).view(x.size(0), -1)", "y = y.view(x.size(0), -1, 1, 1)"),
            ("y = self.pool(x).squeeze(-1).squeeze(-1)", "y = y.unsqueeze(-1).unsqueeze(-1)"),
            ("y = torch.flatten(self.pool(x), 1)", "y = y.reshape(-1, 8, 1, 1)"),
            ("y = self.pool(x).squeeze()", "y = y[:, :, None, None] if False else y.view(-1, 8, 1, 1)"),
        ]
        var first: [Layer]?
        for (squeeze, unsqueeze) in spellings.prefix(3) {
            let source = network(init: [
                "self.conv = nn.Conv2d(1, 8, 3, padding=1)", "self.pool = nn.AdaptiveAvgPool2d(1)",
                "self.fc1 = nn.Linear(8, 2)", "self.fc2 = nn.Linear(2, 8)", "self.head = nn.Linear(8 * 28 * 28, 10)",
            ], forward: [
                "x = F.relu(self.conv(x))", squeeze, "y = torch.sigmoid(self.fc2(F.relu(self.fc1(y))))", unsqueeze,
                "return self.head(torch.flatten(x * y, 1))",
            ])
            let graph = try parseNet(source).graph
            XCTAssertEqual(graph.outputShape, TensorShape(features: 10), squeeze)
            XCTAssertTrue(graph.nodes.contains { $0.layer == .reshape(dims: [8, 1, 1]) }, unsqueeze)
            let again = try parseNet(NetworkSource.emit(graph)).graph
            XCTAssertEqual(again.nodes.map(\.layer), graph.nodes.map(\.layer), "\(squeeze) emitted")
            let count = graph.nodes.filter { $0.layer.typeName == "Reshape" || $0.layer == .flatten }.count
            XCTAssertGreaterThanOrEqual(count, 2)
            if first == nil { first = graph.nodes.map(\.layer) }
        }
        let bad = parseError(network(init: [], forward: ["return x.view(x.size(0), 5, -1)"]))
        XCTAssertTrue(bad?.contains("cannot split the 784 elements") == true, bad ?? "parsed")
    }

    func testDropout2d() throws {
        for (line, p) in [("self.drop(x)", Float(0.2)), ("F.dropout2d(x, 0.1, training=self.training)", 0.1), ("F.dropout2d(x)", 0.5)] {
            let source = network(init: ["self.conv = nn.Conv2d(1, 4, 3)", "self.drop = nn.Dropout2d(0.2)"],
                                 forward: ["x = self.conv(x)", "x = \(line)", "return torch.flatten(x, 1)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(graph.nodes[2].layer, .dropout2d(p: p), line)
            XCTAssertEqual(try parseNet(NetworkSource.emit(graph)).graph.nodes.map(\.layer), graph.nodes.map(\.layer), line)
        }
        let flat = parseError(network(init: ["self.drop = nn.Dropout2d()"], forward: ["return self.drop(torch.flatten(x, 1))"]))
        XCTAssertTrue(flat?.contains("Dropout2d expects [C, H, W]") == true, flat ?? "parsed")
    }

    func testScalarsAndSubtraction() throws {
        let cases: [(String, [Layer])] = [
            ("h * 0.5", [.affine(scale: 0.5, shift: 0)]), ("0.5 * h", [.affine(scale: 0.5, shift: 0)]),
            ("h / 4", [.affine(scale: 0.25, shift: 0)]), ("h + 1", [.affine(scale: 1, shift: 1)]),
            ("1 - h", [.affine(scale: -1, shift: 1)]), ("-h", [.affine(scale: -1, shift: 0)]), ("h * 1", []),
            ("h - h.mul(2)", [.affine(scale: 2, shift: 0), .affine(scale: -1, shift: 0), .add]),
            ("h * h", [.multiply]),
        ]
        for (expression, layers) in cases {
            let source = network(init: ["self.fc = nn.Linear(784, 10)"],
                                 forward: ["h = self.fc(torch.flatten(x, 1))", "return \(expression)"])
            let graph = try parseNet(source).graph
            XCTAssertEqual(Array(graph.nodes.dropFirst(3)).map(\.layer), layers, expression)
            let again = try parseNet(NetworkSource.emit(graph)).graph
            XCTAssertEqual(again.nodes.map(\.layer), graph.nodes.map(\.layer), "\(expression) emitted")
        }
    }

    func testUnsupportedArithmeticSaysWhat() {
        let divide = parseError(network(init: [], forward: ["h = torch.flatten(x, 1)", "return h / h"]))
        XCTAssertTrue(divide?.contains("operator '/'") == true, divide ?? "parsed")
        let shapes = parseError(network(init: ["self.fc = nn.Linear(784, 3)"],
                                        forward: ["h = torch.flatten(x, 1)", "return h * self.fc(h)"]))
        XCTAssertTrue(shapes?.contains("cannot multiply tensors of shapes") == true, shapes ?? "parsed")
    }
}
