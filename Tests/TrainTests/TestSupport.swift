// Helpers shared by the Train tests: scratch folders, small networks and data, the backend under test.
import Data
import Engine
import Foundation
import NetIR
import CPUBackend
import ReferenceBackend
import XCTest
@testable import Train

/// A fresh folder under the system temp dir, removed by the test's teardown.
func makeScratchDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "llmatic-train-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The backend most training tests run on: the CPU backend with a fixed thread count, so results are
/// reproducible bit for bit on one machine.
func fastBackend() -> any Backend { CPUBackend(threads: 2) }

/// The slow, exact interpreter: the judge when a result must not depend on a backend's shortcuts.
func referenceBackend() -> any Backend { ReferenceBackend() }

/// A synthetic task, loaded through the catalog as the command line does.
func syntheticData(_ spec: String, seed: UInt64 = 0) throws -> DatasetPair {
    try DatasetCatalog.load("synthetic:\(spec)", seed: seed)
}

func builtin(_ net: BuiltinNetwork, _ data: DatasetPair) throws -> Graph {
    let s = data.train.shape
    return try net.graph(input: TensorShape(channels: s.channels, height: s.height, width: s.width), classes: data.train.classes)
}

/// conv 3x3 -> BN -> ReLU -> global average pool -> linear: small, but with every kind of state
/// (BatchNorm buffers, parameters without bias) a weights file must carry.
func tinyBatchNormNet(input: TensorShape, classes: Int) throws -> Graph {
    var b = NetworkBuilder(input: input)
    var x = try b.conv2d("conv1", b.input, out: 4, kernel: 3, padding: 1, bias: false)
    x = try b.relu("relu1", try b.batchNorm("bn1", x))
    x = try b.flatten("flatten", try b.globalAvgPool("pool", x))
    let logits = try b.linear("fc", x, out: classes)
    return try b.build(output: logits)
}

/// Three stacked linear layers, no activation: at a high learning rate SGD blows up geometrically (a ReLU net
/// would rather die and grow its loss only linearly), which makes divergence easy to provoke.
func deepLinearNet(input: TensorShape, classes: Int) throws -> Graph {
    var b = NetworkBuilder(input: input)
    var x = try b.flatten("flatten", b.input)
    x = try b.linear("fc1", x, out: 16)
    x = try b.linear("fc2", x, out: 16)
    let logits = try b.linear("fc3", x, out: classes)
    return try b.build(output: logits)
}
