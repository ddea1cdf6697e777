import XCTest
import Data
import Engine
import NetIR
@testable import OpenCLBackend
@testable import Train

/// The data set resident on the device: batches built by gather_batch (Kernels/data.cl) against the host
/// loader and Data's augmentation, and whole training runs through the resident path against the host path.
final class ResidentDataTests: XCTestCase {
    /// Three channels with different statistics, odd sizes, 50 images: batch 8 leaves a partial batch of 2.
    let shape = ImageShape(channels: 3, height: 9, width: 7)
    lazy var data = DatasetCatalog.synthetic(shape: shape, classes: 5, count: 50, seed: 3)

    /// flatten -> linear: a plan whose input region is exactly one batch of `shape`.
    func loadExecutor(batch: Int, device: OpenCLDevice) throws -> OpenCLExecutor {
        var b = NetworkBuilder(input: TensorShape(channels: shape.channels, height: shape.height, width: shape.width))
        let logits = try b.linear("fc", try b.flatten("flat", b.input), out: 5)
        let plan = try PlanCompiler.compile(try b.build(output: logits), options: PlanOptions(batchSize: batch))
        return try OpenCLBackend(device: device, tune: false).loadExecutor(plan)
    }

    func upload(_ executor: OpenCLExecutor, _ recipe: ResidentBatchRecipe) throws {
        let labels = data.labels.map { Int32($0) }
        try data.images.withUnsafeBufferPointer { images in
            try labels.withUnsafeBufferPointer { try executor.loadResidentData(images: images, labels: $0, recipe: recipe) }
        }
    }

    /// The label region holds Int32 bit patterns in Float slots.
    func labels(_ executor: OpenCLExecutor) -> [Int32] { executor.read(.labels).map { Int32(bitPattern: $0.bitPattern) } }

    /// Tolerance of a normalised pixel: 1e-6 relative (both sides compute one unfused float multiply-add, so
    /// they agree exactly in practice; the slack is for devices whose int-to-float or multiply rounds differently).
    func assertPixelsEqual(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var worst = 0.0
        for (a, e) in zip(actual, expected) { worst = max(worst, Double(abs(a - e)) / max(1, Double(abs(e)))) }
        XCTAssertLessThanOrEqual(worst, 1e-6, "\(what): worst relative difference", file: file, line: line)
    }

    func testGatherEqualsTheHostLoaderOverEpochsAndThePartialBatch() throws {
        let device = try TestDevice.require()
        let batch = 8
        let executor = try loadExecutor(batch: batch, device: device)
        let normalization = Normalization.fit(data)
        let (scale, shift) = normalization.scaleAndShift
        try upload(executor, ResidentBatchRecipe(scale: scale, shift: shift))
        let seed: UInt64 = 11
        // The host path of training: shuffled, whole batches only (6 of 8 per epoch, 2 images dropped).
        let loader = BatchLoader(dataset: data, batchSize: batch, shuffle: true, augmentation: .none,
                                 normalization: normalization, seed: seed, dropLast: true, epochs: 2)
        var steps = 0
        while let expected = loader.next() {
            if expected.indexInEpoch == 0 {
                executor.setResidentOrder(BatchLoader.epochOrder(count: data.count, epoch: expected.epoch, seed: seed).map { Int32($0) })
            }
            executor.setResidentBatch(first: expected.indexInEpoch * batch, valid: batch, step: UInt32(steps))
            let what = "epoch \(expected.epoch) batch \(expected.indexInEpoch)"
            assertPixelsEqual(executor.read(.input), Array(expected.images), what)
            XCTAssertEqual(labels(executor), Array(expected.labels), what)
            steps += 1
        }
        XCTAssertEqual(steps, 12)

        // The rule evaluation uses: the last partial batch is padded (zero images, label -1).
        let padded = BatchLoader(dataset: data, batchSize: batch, shuffle: false, augmentation: .none,
                                 normalization: normalization, seed: 0, dropLast: false, epochs: 1)
        executor.setResidentOrder((0..<data.count).map { Int32($0) })
        var last: (images: [Float], labels: [Int32], valid: Int)?
        while let b = padded.next() { last = (Array(b.images), Array(b.labels), b.validCount) }
        XCTAssertEqual(last?.valid, 2)
        executor.setResidentBatch(first: 48, valid: 2, step: 0)
        assertPixelsEqual(executor.read(.input), last?.images ?? [], "partial batch")
        XCTAssertEqual(labels(executor), last?.labels ?? [], "partial batch labels")
        XCTAssertEqual(Array(labels(executor).suffix(6)), [Int32](repeating: -1, count: 6))
        XCTAssertNil(executor.failure)
    }

    func testAugmentedGatherEqualsTheCounterBasedReference() throws {
        let device = try TestDevice.require()
        let batch = 16
        let executor = try loadExecutor(batch: batch, device: device)
        let (scale, shift) = Normalization.fit(data).scaleAndShift
        let padding = 2
        let recipe = ResidentBatchRecipe(scale: scale, shift: shift, cropPadding: padding, horizontalFlip: true, seed: 77)
        try upload(executor, recipe)
        let order = BatchLoader.epochOrder(count: data.count, epoch: 0, seed: 5)
        executor.setResidentOrder(order.map { Int32($0) })
        var offsets = Set<Int>(), flips = Set<Bool>()
        for (first, step) in [(0, UInt32(0)), (16, 1), (32, 7), (34, 0xFFFF_FFF0)] {
            executor.setResidentBatch(first: first, valid: batch, step: step)
            var expected: [Float] = []
            for row in 0..<batch {
                let c = ResidentAugmentation.choice(seed: recipe.seed, step: step, row: row, cropPadding: padding,
                                                    horizontalFlip: true)
                offsets.formUnion([c.offsetY, c.offsetX])
                flips.insert(c.flip)
                let index = order[first + row]
                let image = Array(data.images[(index * shape.count)..<((index + 1) * shape.count)])
                let cropped = Augmentation.apply(image, shape: shape, padding: padding,
                                                 choice: Augmentation.Choice(offsetY: c.offsetY, offsetX: c.offsetX, flip: c.flip))
                let plane = shape.height * shape.width
                expected += cropped.enumerated().map { i, p in Float(p) * scale[i / plane] + shift[i / plane] }
            }
            assertPixelsEqual(executor.read(.input), expected, "step \(step)")
            XCTAssertEqual(labels(executor), (0..<batch).map { Int32(data.labels[order[first + $0]]) }, "step \(step)")
        }
        // The choices really vary, so a kernel ignoring them could not pass.
        XCTAssertEqual(offsets, Set(0...(2 * padding)))
        XCTAssertEqual(flips, [false, true])
        XCTAssertNil(executor.failure)
    }

    /// Trains smallcnn for 3 epochs of 6 steps with both feeds; returns per-step losses, parameters and bytes moved.
    func train(resident: Bool, augmentation: Augmentation = .none, maxSteps: Int? = nil, checkpoint: String? = nil,
               device: OpenCLDevice) throws -> (losses: [Double], parameters: [UInt32], uploaded: Int, trainer: Trainer, result: TrainingResult) {
        let trainSet = DatasetCatalog.synthetic(shape: ImageShape(channels: 1, height: 12, width: 12), classes: 4, count: 100, seed: 1)
        let graph = try BuiltinNetwork.smallcnn.graph(input: TensorShape(channels: 1, height: 12, width: 12), classes: 4)
        // A constant rate, so a run capped by maxSteps takes the same steps as the start of the whole run.
        let config = TrainingConfig(epochs: 3, batchSize: 16, learningRate: 0.02, schedule: .constant, seed: 3,
                                    augmentation: augmentation,
                                    maxSteps: maxSteps, metricsEvery: 1, residentData: resident)
        let trainer = try Trainer(graph: graph, config: config, backend: OpenCLBackend(device: device, tune: false))
        if let checkpoint { try trainer.restoreCheckpoint(from: checkpoint) }
        let executor = try XCTUnwrap(trainer.executor as? OpenCLExecutor)
        let before = executor.uploadedBytes
        var losses: [Double] = []
        let result = try trainer.train(on: trainSet, normalization: .fit(trainSet)) { losses.append($0.loss) }
        XCTAssertNil(executor.failure)
        XCTAssertEqual(result.residentData, resident, "the OpenCL executor takes the resident path exactly when asked")
        return (losses, trainer.parameters().map(\.bitPattern), executor.uploadedBytes - before, trainer, result)
    }

    func testResidentTrainingFollowsTheHostTrajectory() throws {
        let device = try TestDevice.require()
        let host = try train(resident: false, device: device)
        let resident = try train(resident: true, device: device)
        XCTAssertEqual(host.losses.count, 18)
        XCTAssertLessThan(host.losses.suffix(3).reduce(0, +), host.losses.prefix(3).reduce(0, +), "the loss falls")
        // Same batches in the same order, so the same arithmetic: identical up to 1e-6 relative per step.
        XCTAssertEqual(resident.losses.count, host.losses.count)
        for (step, (r, h)) in zip(resident.losses, host.losses).enumerated() {
            XCTAssertEqual(r, h, accuracy: 1e-6 * max(1, abs(h)), "loss of step \(step + 1)")
        }
        let differing = zip(resident.parameters, host.parameters).filter { $0 != $1 }.count
        print("resident vs host: \(differing) of \(host.parameters.count) parameters differ in their last bit or more")

        // Bytes host -> device: the host path moves every batch; the resident path the data set once (pixels,
        // labels, normalisation) and one order per epoch.
        let plan = resident.trainer.plan
        let batchBytes = 4 * (plan.inputCount + plan.labelCount)
        let dataBytes = 100 * 144 + 4 * 100 + 4 * 2
        XCTAssertEqual(host.uploaded - resident.uploaded, 18 * batchBytes - dataBytes - 3 * 4 * 100)
    }

    func testResumedResidentRunMatchesTheWholeOne() throws {
        let device = try TestDevice.require()
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let whole = try train(resident: true, augmentation: augmentation, device: device)
        let first = try train(resident: true, augmentation: augmentation, maxSteps: 8, device: device)
        let path = NSTemporaryDirectory() + "llmatic-resident-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try first.trainer.saveCheckpoint(to: path)
        let resumed = try train(resident: true, augmentation: augmentation, checkpoint: path, device: device)
        XCTAssertEqual(first.losses + resumed.losses, whole.losses, "steps 9-18 see the data of the whole run (epoch 2 from its third batch)")
        XCTAssertEqual(resumed.parameters, whole.parameters)
        // Augmentation changes what the network sees: the run differs from an unaugmented one.
        let plain = try train(resident: true, device: device)
        XCTAssertNotEqual(plain.losses, whole.losses)
    }
}
