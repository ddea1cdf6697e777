import XCTest
import NetIR
@testable import NetCode

/// parse(emit(g)) has the same layers, wiring, shapes and parameters as g; for parsed graphs even the node names
/// come back, and emitting again gives the same text.
final class RoundTripTests: XCTestCase {
    private func assertRoundTrip(_ g: Graph, _ label: String, sameNames: Bool, file: StaticString = #filePath,
                                 line: UInt = #line) throws {
        let source = NetworkSource.emit(g)
        let back: Graph
        do {
            back = try NetworkSource.parse(source, file: "emitted.py", input: g.inputShape).graph
        } catch {
            return XCTFail("\(label): emitted source does not parse: \(error)\n\(source)", file: file, line: line)
        }
        XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer), label, file: file, line: line)
        XCTAssertEqual(back.nodes.map(\.inputs), g.nodes.map(\.inputs), label, file: file, line: line)
        XCTAssertEqual(back.output, g.output, label, file: file, line: line)
        XCTAssertEqual(try back.inferShapes(), try g.inferShapes(), label, file: file, line: line)
        XCTAssertEqual(back.parameterCount, g.parameterCount, label, file: file, line: line)
        XCTAssertEqual(back.parameters.map(\.name), g.parameters.map(\.name), label, file: file, line: line)
        // Module nodes keep their names; Add and Concat nodes are renamed (add_1, cat_1).
        let kept = { (graph: Graph) in graph.nodes.filter { !Emitter.isOperator($0.layer) }.map(\.name) }
        XCTAssertEqual(kept(back), kept(g), label, file: file, line: line)
        if sameNames { XCTAssertEqual(back.nodes.map(\.name), g.nodes.map(\.name), label, file: file, line: line) }
        XCTAssertEqual(NetworkSource.emit(back), source, "\(label): emitting is not stable", file: file, line: line)
    }

    func testBuiltinNetworks() throws {
        for network in BuiltinNetwork.allCases {
            for input in [TensorShape(channels: 1, height: 28, width: 28), TensorShape(channels: 3, height: 32, width: 32)] {
                try assertRoundTrip(try network.graph(input: input), "\(network) \(input)", sameNames: false)
            }
        }
    }

    func testCorpus() throws {
        for entry in Corpus.entries {
            try assertRoundTrip(try Corpus.parse(entry).graph, entry.name, sameNames: true)
        }
    }

    func testSeedNetworkEmitsIdiomaticSource() throws {
        let entry = try XCTUnwrap(Corpus.entries.first { $0.name == "seed" })
        XCTAssertEqual(NetworkSource.emit(try Corpus.parse(entry).graph), """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 1, 1)
                self.fc1 = nn.Linear(1024, 10)

            def forward(self, x):
                x = torch.flatten(F.relu(self.conv1(x)), 1)
                x = self.fc1(x)
                return x

        """)
    }

    func testResNet8EmitsModulesAndResidualAdds() throws {
        let source = NetworkSource.emit(try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 3, height: 32, width: 32)),
                                        className: "ResNet8")
        XCTAssertTrue(source.contains("class ResNet8(nn.Module):"))
        XCTAssertTrue(source.contains("        self.s2_conv1 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)\n"))
        XCTAssertTrue(source.contains("        self.s2_sc_conv = nn.Conv2d(16, 32, 1, stride=2, bias=False)\n"))
        XCTAssertTrue(source.contains("        self.pool = nn.AdaptiveAvgPool2d(1)\n"))
        XCTAssertTrue(source.contains(" + "))
        XCTAssertFalse(source.contains("import torch.nn.functional"))
    }

    /// Names Python cannot spell as attributes, names PyTorch reserves, and paths that are not a tree.
    func testAwkwardModuleNames() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 1, height: 8, width: 8))
        var x = try b.add("0", .conv2d(Conv2dAttributes(inChannels: 1, outChannels: 2, kernel: Pair(3), padding: Pair(1))), [b.input])
        x = try b.add("forward", .activation(.relu), [x])
        x = try b.add("block.keys", .conv2d(Conv2dAttributes(inChannels: 2, outChannels: 2, kernel: Pair(1))), [x])
        x = try b.add("class", .flatten, [x])
        x = try b.add("fc", .linear(inFeatures: 128, outFeatures: 3, bias: true), [x])
        let g = try b.build(output: x)
        let source = NetworkSource.emit(g)
        XCTAssertTrue(source.contains("self.add_module(\"0\", nn.Conv2d(1, 2, 3, padding=1))"), source)
        XCTAssertTrue(source.contains("getattr(self, \"0\")(x)"), source)
        XCTAssertTrue(source.contains("self.forward_ = nn.ReLU()"), source)
        XCTAssertTrue(source.contains("\"keys_\": nn.Conv2d(2, 2, 1)"), source)
        let back = try NetworkSource.parse(source, input: g.inputShape).graph
        XCTAssertEqual(back.nodes.map(\.name), ["input", "0", "forward_", "block.keys_", "class", "fc"])
        XCTAssertEqual(back.nodes.map(\.layer), g.nodes.map(\.layer))

        var t = NetworkBuilder(input: TensorShape(channels: 1, height: 4, width: 4))
        let a = try t.add("a", .conv2d(Conv2dAttributes(inChannels: 1, outChannels: 1, kernel: Pair(1))), [t.input])
        let c = try t.add("a.b", .conv2d(Conv2dAttributes(inChannels: 1, outChannels: 1, kernel: Pair(1))), [a])
        let flat = try t.build(output: c)
        let flatSource = NetworkSource.emit(flat)
        XCTAssertTrue(flatSource.contains("self.a_b = nn.Conv2d(1, 1, 1)"), flatSource)
        XCTAssertEqual(try NetworkSource.parse(flatSource, input: flat.inputShape).graph.nodes.map(\.name), ["input", "a", "a_b"])
    }

    /// Graphs from elsewhere may be malformed; emitting must still not trap.
    func testMalformedGraphsDoNotTrap() {
        let conv = Layer.conv2d(Conv2dAttributes(inChannels: 1, outChannels: 1, kernel: Pair(1)))
        let graphs = [
            Graph(inputShape: TensorShape([1]), nodes: [], output: 0),
            Graph(inputShape: TensorShape([1]), nodes: [Node(name: "a", layer: conv, inputs: [5, -1])], output: 7),
            Graph(inputShape: TensorShape([1]), nodes: [Node(name: "input", layer: .input, inputs: []),
                                                      Node(name: "", module: "..", layer: conv, inputs: [1]),
                                                      Node(name: "b", module: "", layer: .add, inputs: [])], output: -1),
        ]
        for g in graphs { XCTAssertFalse(NetworkSource.emit(g).isEmpty) }
        for dims in [[0, 28, 28], [3, 32], [], [1 << 40, 1 << 40, 1]] {
            XCTAssertThrowsError(try NetworkSource.parse("class Net(nn.Module):\n    pass\n", input: TensorShape(dims))) { error in
                XCTAssertTrue("\(error)".hasPrefix("<network>:1:1: input shape ["), "\(error)")
            }
        }
    }

    func testSharedModulesStayShared() throws {
        let source = network(init: ["self.conv = nn.Conv2d(1, 1, 3, padding=1)"],
                             forward: ["y = self.conv(x)", "return self.conv(y) + y"])
        let g = try parseNet(source).graph
        let emitted = NetworkSource.emit(g)
        XCTAssertEqual(emitted.components(separatedBy: "nn.Conv2d(").count, 2, emitted)
        try assertRoundTrip(g, "shared", sameNames: true)
    }
}
