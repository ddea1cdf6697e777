// The construct files that the view, slice, upsampling and permute ops made pass (Tests/NetCodeTests/Constructs)
// train: parsed as written, two steps on the reference backend and on the CPU backend from the same
// initialisation give finite losses that agree, and the trained networks give the same logits.
// (The OpenCL backend runs the same instructions in OpenCLBackendTests' op and graph comparisons.)
import Data
import Foundation
import NetCode
import NetIR
import XCTest
@testable import Train

final class ConstructTrainingTests: XCTestCase {
    static let files = [
        "view_chunk.py", "view_torch_chunk.py", "view_split.py", "view_split_method.py", "view_stack_mean.py",
        "view_stack_sum.py", "view_flatten2.py", "view_transpose_tokens.py", "arith_sum_dims.py", "net_se_resnet.py",
        "arith_channel_scale.py", "up_upsample_nearest.py", "up_interpolate_scale.py", "up_interpolate_size.py",
        "up_upsample_bilinear.py", "up_convtranspose.py", "up_convtranspose_outpad.py", "up_unet_skip.py",
    ]

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NetCodeTests/Constructs")
    }

    func testConstructsTrainOnReferenceAndCPU() throws {
        let data = try DatasetCatalog.load("synthetic:1x28x28:10:16:4", seed: 3)
        let probe = (0..<(2 * 784)).map { Float(sin(Double($0) * 0.21)) }
        for file in Self.files {
            let source = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
            let graph = try NetworkSource.parse(source, file: file, input: TensorShape([1, 28, 28]), className: "Net").graph
            let config = TrainingConfig(epochs: 1, batchSize: 8, learningRate: 0.05, seed: 5)
            let reference = try Trainer(graph: graph, config: config, backend: referenceBackend())
            let cpu = try Trainer(graph: graph, config: config, backend: fastBackend())
            let (r, c) = (try reference.train(on: data.train), try cpu.train(on: data.train))
            XCTAssertEqual(r.steps, 2, file)
            XCTAssertTrue(r.trainLoss.isFinite, file)
            // A whole train step and a second step from the updated weights: the CPU's Float sums compound
            // (the op table's `Tolerances.graph`, 1e-3, for one step; twice that for two).
            XCTAssertEqual(c.trainLoss, r.trainLoss, accuracy: 2e-3 * max(1, abs(r.trainLoss)), file)
            let (lr, lc) = (try reference.logits(for: probe), try cpu.logits(for: probe))
            let scale = max(1, lr.map { abs(Double($0)) }.max() ?? 0)
            let worst = zip(lr, lc).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
            XCTAssertLessThan(worst / scale, 2e-3, "\(file): trained logits differ")
        }
    }
}
