import Foundation
import XCTest
import NetIR
@testable import NetCode

/// One corpus network and what PyTorch 2.15 says about it: `sum(p.numel() for p in net.parameters())` and the
/// output shape per sample for a zero batch of `input`.
struct CorpusEntry {
    let name: String
    let input: TensorShape
    let className: String
    let parameters: Int
    let output: [Int]

    init(_ name: String, _ input: String, _ className: String, _ parameters: Int, _ output: [Int] = [10]) {
        self.name = name
        self.input = TensorShape(parsing: input) ?? TensorShape([])
        self.className = className; self.parameters = parameters; self.output = output
    }
}

enum Corpus {
    static let entries: [CorpusEntry] = [
        CorpusEntry("seed", "3x32x32", "Net", 10_254),
        CorpusEntry("sequential_stack", "1x28x28", "Net", 824_650),
        CorpusEntry("lenet_functional", "3x32x32", "Net", 62_006),
        CorpusEntry("resnet_blocks", "3x32x32", "ResNet", 175_258),
        CorpusEntry("reshape_variants", "1x28x28", "Net", 50_890),
        CorpusEntry("modulelist_loop", "3x32x32", "Net", 21_946),
        CorpusEntry("padding_same", "3x32x32", "Net", 19_274),
        CorpusEntry("depthwise_separable", "3x32x32", "MobileNetTiny", 67_914),
        CorpusEntry("inception_concat", "3x32x32", "Net", 96_518),
        CorpusEntry("mlp_batchnorm1d", "1x28x28", "Net", 537_354),
        CorpusEntry("odd_formatting", "3x32x32", "Net", 268_650),
        CorpusEntry("ordered_dict", "1x28x28", "Net", 9_114),
        CorpusEntry("unused_and_shared", "3x32x32", "Net", 18_168),
        CorpusEntry("activations_zoo", "1x28x28", "Net", 8_642),
        CorpusEntry("dense_block", "3x32x32", "TinyDenseNet", 29_110),
        CorpusEntry("inheritance", "1x28x28", "Classifier", 72_666),
        CorpusEntry("vgg_config", "3x32x32", "VGG", 768_650),
        CorpusEntry("moduledict_heads", "3x32x32", "Net", 24_458),
        CorpusEntry("functional_dropout_softmax", "1x28x28", "Net", 431_080),
        CorpusEntry("residual_identity", "3x32x32", "Net", 96_410),
        CorpusEntry("two_tower_concat", "1x28x28", "Net", 102_298),
    ]

    static func directory() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Corpus", withExtension: nil) else {
            throw XCTSkip("the Corpus resource is missing from the test bundle")
        }
        return url
    }

    static func url(_ entry: CorpusEntry) throws -> URL {
        try directory().appendingPathComponent(entry.name + ".py")
    }

    static func source(_ entry: CorpusEntry) throws -> String {
        try String(contentsOf: try url(entry), encoding: .utf8)
    }

    static func parse(_ entry: CorpusEntry) throws -> ParsedNetwork {
        try NetworkSource.parse(try source(entry), file: entry.name + ".py", input: entry.input)
    }
}

/// Parses `source` as `net.py`, failing the test with the error's text if it does not parse.
func parseNet(_ source: String, input: String = "1x28x28", className: String? = nil,
              file: StaticString = #filePath, line: UInt = #line) throws -> ParsedNetwork {
    do {
        return try NetworkSource.parse(source, file: "net.py", input: TensorShape(parsing: input) ?? TensorShape([1]),
                                       className: className)
    } catch let error as SourceError {
        XCTFail("unexpected error: \(error)", file: file, line: line)
        throw error
    }
}

/// The `file:line:column: message` a source fails with, or nil if it parses.
func parseError(_ source: String, input: String = "1x28x28", className: String? = nil) -> String? {
    do {
        _ = try NetworkSource.parse(source, file: "net.py", input: TensorShape(parsing: input) ?? TensorShape([1]),
                                    className: className)
        return nil
    } catch {
        return "\(error)"
    }
}

/// Wraps `forward` lines and `__init__` lines into a `Net` class.
func network(init initLines: [String], forward forwardLines: [String], header: String = "") -> String {
    var lines = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F", header,
                 "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()"]
    lines += initLines.map { "        " + $0 }
    lines += ["", "    def forward(self, x):"] + forwardLines.map { "        " + $0 }
    return lines.joined(separator: "\n") + "\n"
}

extension Graph {
    var layerNames: [String] { nodes.map(\.layer.typeName) }
    var outputShape: TensorShape? { try? inferShapes()[output] }
}
