import Foundation
import XCTest
import NetIR
@testable import NetCode

/// Every corpus network parses, picks the expected class, and has PyTorch's parameter count and output shape.
final class CorpusTests: XCTestCase {
    func testCorpusMatchesPyTorchCounts() throws {
        for entry in Corpus.entries {
            let parsed = try Corpus.parse(entry)
            XCTAssertEqual(parsed.className, entry.className, entry.name)
            XCTAssertEqual(parsed.totalParameterCount, entry.parameters, entry.name)
            XCTAssertEqual(parsed.graph.outputShape?.dims, entry.output, entry.name)
        }
    }

    func testCorpusTableCoversEveryFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: try Corpus.directory().path)
            .filter { $0.hasSuffix(".py") }.map { String($0.dropLast(3)) }
        XCTAssertEqual(Set(files), Set(Corpus.entries.map(\.name)))
        XCTAssertGreaterThanOrEqual(files.count, 15)
    }

    func testUnusedModulesAreReportedWithStateDictNames() throws {
        let entry = try XCTUnwrap(Corpus.entries.first { $0.name == "unused_and_shared" })
        let parsed = try Corpus.parse(entry)
        XCTAssertEqual(parsed.unusedParameters.map(\.name), [
            "bn_unused.weight", "bn_unused.bias", "fc_unused.weight", "fc_unused.bias", "spare.0.weight", "spare.0.bias",
        ])
        XCTAssertEqual(parsed.unusedParameterCount, 16 + 16 + 100 * 50 + 50 + 16 * 4 + 4)
        // The shared conv is called twice: two nodes, one set of parameters.
        let shared = parsed.graph.nodes.filter { $0.module == "conv_shared" }
        XCTAssertEqual(shared.map(\.name), ["conv_shared", "conv_shared_1"])
        XCTAssertEqual(parsed.graph.parameters.filter { $0.module == "conv_shared" }.count, 2)
        XCTAssertEqual(parsed.graph.nodes.filter { $0.module == "relu" }.map(\.name), ["relu", "relu_1", "relu_2"])
    }

    func testHelperBlocksGetPyTorchStateDictNames() throws {
        let entry = try XCTUnwrap(Corpus.entries.first { $0.name == "resnet_blocks" })
        let names = try Corpus.parse(entry).graph.parameters.map(\.name)
        XCTAssertEqual(Array(names.prefix(4)), ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"])
        XCTAssertTrue(names.contains("layer2.0.shortcut.0.weight"))
        XCTAssertTrue(names.contains("layer3.1.bn2.bias"))
        XCTAssertEqual(names.last, "linear.bias")
    }

    /// LLMatic's seed network exactly as its authors wrote it.
    func testLLMaticSeedNetwork() throws {
        let source = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 1, 1)
                self.fc1 = nn.Linear(1024, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                return x

        """
        let parsed = try parseNet(source, input: "3x32x32")
        XCTAssertEqual(parsed.graph.parameterCount, 3 * 1 + 1 + 1024 * 10 + 10)
        XCTAssertEqual(parsed.graph.layerNames, ["Input", "Conv2d", "ReLU", "Flatten", "Linear"])
        XCTAssertEqual(parsed.graph.nodes.map(\.name), ["input", "conv1", "relu_f1", "flatten_1", "fc1"])
        XCTAssertEqual(parsed.graph.nodes[1].location, SourceLocation(file: "net.py", line: 12, column: 20))
        XCTAssertEqual(parsed.graph.parameters.map(\.name), ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"])
    }

    /// ../shared/peers/nets.py: the PyTorch reference networks (counts from PyTorch 2.15).
    func testPeerNetworks() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/peers/nets.py").standardizedFileURL
        guard let source = try? String(contentsOf: url, encoding: .utf8) else {
            throw XCTSkip("\(url.path) is not present")
        }
        let input = TensorShape(channels: 3, height: 32, width: 32)
        for (name, count) in [("InitialNet", 10_254), ("SmallCNN", 545_098), ("ResNet8", 78_042)] {
            let parsed = try NetworkSource.parse(source, file: "nets.py", input: input, className: name)
            XCTAssertEqual(parsed.totalParameterCount, count, name)
            XCTAssertEqual(parsed.unusedParameters.count, 0, name)
            XCTAssertEqual(parsed.graph.outputShape, TensorShape(features: 10), name)
        }
        // With no class named Net, the last module class nobody else uses is the network.
        XCTAssertEqual(try NetworkSource.parse(source, file: "nets.py", input: input).className, "ResNet8")
        // The same graph as NetIR's built-in ResNet-8, up to the names of the Add nodes.
        let parsed = try NetworkSource.parse(source, file: "nets.py", input: input, className: "ResNet8").graph
        let builtin = try BuiltinNetwork.resnet8.graph(input: input)
        XCTAssertEqual(parsed.nodes.map(\.layer), builtin.nodes.map(\.layer))
        XCTAssertEqual(parsed.nodes.map(\.inputs), builtin.nodes.map(\.inputs))
    }
}
