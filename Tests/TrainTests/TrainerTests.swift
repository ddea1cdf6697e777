import Data
import Engine
import NetIR
import XCTest
@testable import Train

final class TrainerTests: XCTestCase {
    func testDivergenceIsReportedAtTheStepItHappened() throws {
        let data = try syntheticData("1x8x8:4:256:64")
        let graph = try deepLinearNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 4)
        var config = TrainingConfig(epochs: 4, batchSize: 16, learningRate: 10,
                                    optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0), schedule: .constant,
                                    metricsEvery: 1)
        var reports: [TrainingProgress] = []
        let trainer = try Trainer(graph: graph, config: config, backend: fastBackend())
        var failedAt = 0
        XCTAssertThrowsError(try trainer.run(data) { reports.append($0) }) {
            guard case TrainingError.diverged(let step, let loss) = $0 else { return XCTFail("expected divergence, got \($0)") }
            XCTAssertFalse(loss.isFinite)
            failedAt = step
        }
        // Every step before the bad one reported a finite loss; the bad step is the next one.
        XCTAssertGreaterThan(failedAt, 2, "the loss grows for a few steps before it overflows")
        XCTAssertLessThan(failedAt, 64, "a learning rate of 10 must blow up within the run")
        XCTAssertEqual(reports.map(\.step), Array(1..<failedAt))
        XCTAssertTrue(reports.allSatisfy { $0.loss.isFinite })

        // Reading metrics every 4 steps finds it at the first read at or after that step.
        config.metricsEvery = 4
        let coarse = try Trainer(graph: graph, config: config, backend: fastBackend())
        XCTAssertThrowsError(try coarse.run(data)) {
            guard case TrainingError.diverged(let step, _) = $0 else { return XCTFail("expected divergence, got \($0)") }
            XCTAssertEqual(step, (failedAt + 3) / 4 * 4)
        }
    }

    /// smallcnn learns the synthetic stripes task (a linear model stays near 70% on it, see Synthetic.swift).
    func testSmallCNNLearnsTheSyntheticTask() throws {
        let data = try syntheticData("1x12x12:4:512:256")
        let config = TrainingConfig(epochs: 6, batchSize: 32, learningRate: 0.05, seed: 1, metricsEvery: 8)
        let trainer = try Trainer(graph: try builtin(.smallcnn, data), config: config, backend: fastBackend())
        let result = try trainer.run(data)
        let test = try XCTUnwrap(result.evaluation)
        XCTAssertEqual(test.samples, 256)
        XCTAssertGreaterThanOrEqual(test.accuracy, 0.9, "test accuracy after \(result.steps) steps")
        XCTAssertLessThan(result.trainLoss, result.history[0].trainLoss, "the loss must fall from the first epoch to the last")
        XCTAssertEqual(result.steps, 6 * 16)
        XCTAssertEqual(result.parameters, 320 + 18496 + (64 * 3 * 3) * 128 + 128 + 128 * 4 + 4)
    }

    func testReferenceAndCPUBackendsTrainAlike() throws {
        let data = try syntheticData("1x8x8:3:64:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let config = TrainingConfig(epochs: 1, batchSize: 16, learningRate: 0.1, seed: 2)
        let cpu = try Trainer(graph: graph, config: config, backend: fastBackend())
        let reference = try Trainer(graph: graph, config: config, backend: referenceBackend())
        let a = try cpu.run(data), b = try reference.run(data)
        XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: 1e-4)
        let worst = zip(cpu.parameters(), reference.parameters()).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, "parameters after 4 steps")
    }

    func testSameSeedGivesBitIdenticalParameters() throws {
        let data = try syntheticData("1x8x8:3:96:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let config = TrainingConfig(epochs: 2, batchSize: 16, learningRate: 0.05, seed: 11,
                                    augmentation: Augmentation(cropPadding: 1, horizontalFlip: true), metricsEvery: 3)
        func trained(_ config: TrainingConfig) throws -> (parameters: [UInt32], buffers: [UInt32], result: TrainingResult) {
            let t = try Trainer(graph: graph, config: config, backend: fastBackend())
            let result = try t.run(data)
            return (t.parameters().map(\.bitPattern), t.executor.read(.buffers).map(\.bitPattern), result)
        }
        let a = try trained(config), b = try trained(config)
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertEqual(a.buffers, b.buffers)
        XCTAssertEqual(a.result.evaluation?.loss, b.result.evaluation?.loss)
        XCTAssertEqual(a.result.steps, 12)
        var other = config
        other.seed = 12
        XCTAssertNotEqual(try trained(other).parameters, a.parameters, "the seed must matter")
    }

    /// A time limit cuts a run whose steps do not fit: it stops before its planned steps, its schedule followed
    /// the clock down to (nearly) zero, and the cut epoch is in the history. A limit the steps fit under changes
    /// nothing: the same parameters bit for bit.
    func testTimeLimitEndsTheRunWithTheScheduleAnnealed() throws {
        let data = try syntheticData("1x8x8:3:96:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        var config = TrainingConfig(epochs: 100_000, batchSize: 16, learningRate: 0.05, seed: 4, metricsEvery: 1)
        config.timeLimit = 2
        var last: TrainingProgress?
        let cut = try Trainer(graph: graph, config: config, backend: fastBackend())
        let result = try cut.run(data) { last = $0 }
        let planned = 100_000 * (96 / 16)
        XCTAssertGreaterThan(result.steps, 10, "the run trained")
        XCTAssertLessThan(result.steps, planned, "the time limit must end the run before its planned steps")
        let rate = try XCTUnwrap(last?.learningRate)
        // The last step ran with less than 1% of the run left on the clock (a step takes well under 20 ms here),
        // where the cosine factor is below 0.0003; 0.05 of the peak leaves room for a 280-ms stall.
        XCTAssertLessThan(rate, 0.05 * 0.05, "the schedule must have followed the clock to its end")
        XCTAssertNotNil(result.evaluation, "a cut run is still evaluated")
        XCTAssertEqual(result.history.last.map { $0.trainLoss.isFinite }, true, "the cut epoch is recorded")

        var fits = TrainingConfig(epochs: 2, batchSize: 16, learningRate: 0.05, seed: 4, metricsEvery: 3)
        let plain = try Trainer(graph: graph, config: fits, backend: fastBackend())
        _ = try plain.run(data)
        fits.timeLimit = 1e6
        let limited = try Trainer(graph: graph, config: fits, backend: fastBackend())
        XCTAssertEqual(try limited.run(data).steps, 12)
        XCTAssertEqual(limited.parameters().map(\.bitPattern), plain.parameters().map(\.bitPattern))
        fits.timeLimit = -1
        XCTAssertThrowsError(try fits.validate())
    }

    /// What `llmatic train --checkpoint` does: save from the progress callback in the middle of a cosine run;
    /// a run killed there and resumed from the file ends exactly where the whole run ends.
    func testCheckpointSavedFromTheProgressCallbackResumesExactly() throws {
        let data = try syntheticData("1x8x8:3:96:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let config = TrainingConfig(epochs: 2, batchSize: 16, learningRate: 0.05, seed: 3, metricsEvery: 4)
        let path = try makeScratchDirectory(self) + "/mid.ckpt.safetensors"
        let whole = try Trainer(graph: graph, config: config, backend: fastBackend())
        var savedAt: Int?
        _ = try whole.run(data) { p in
            if p.step == 4 { try? whole.saveCheckpoint(to: path); savedAt = p.step }
        }
        XCTAssertEqual(savedAt, 4)
        let resumed = try Trainer(graph: graph, config: config, backend: fastBackend())
        try resumed.restoreCheckpoint(from: path)
        XCTAssertEqual(resumed.step, 4)
        _ = try resumed.run(data)
        XCTAssertEqual(resumed.step, whole.step)
        XCTAssertEqual(resumed.parameters().map(\.bitPattern), whole.parameters().map(\.bitPattern))
        XCTAssertEqual(resumed.executor.read(.buffers).map(\.bitPattern), whole.executor.read(.buffers).map(\.bitPattern))
    }

    func testResumedRunMatchesTheUninterruptedOne() throws {
        let data = try syntheticData("1x8x8:3:96:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let config = TrainingConfig(epochs: 2, batchSize: 16, learningRate: 0.01, optimizer: .defaultAdam,
                                    schedule: .constant, seed: 5, augmentation: Augmentation(cropPadding: 1))
        let whole = try Trainer(graph: graph, config: config, backend: fastBackend())
        _ = try whole.run(data)

        var firstPart = config
        firstPart.maxSteps = 5
        let interrupted = try Trainer(graph: graph, config: firstPart, backend: fastBackend())
        _ = try interrupted.run(data)
        let path = try makeScratchDirectory(self) + "/run.ckpt.safetensors"
        try interrupted.saveCheckpoint(to: path)

        let resumed = try Trainer(graph: graph, config: config, backend: fastBackend())
        try resumed.restoreCheckpoint(from: path)
        XCTAssertEqual(resumed.step, 5)
        let result = try resumed.run(data)
        XCTAssertEqual(result.steps, 12)
        XCTAssertEqual(resumed.parameters().map(\.bitPattern), whole.parameters().map(\.bitPattern))
        XCTAssertEqual(resumed.executor.read(.optimizer).map(\.bitPattern), whole.executor.read(.optimizer).map(\.bitPattern))

        // A checkpoint of another optimizer does not fit.
        var sgd = config
        sgd.optimizer = .defaultSGD
        let mismatched = try Trainer(graph: graph, config: sgd, backend: fastBackend())
        XCTAssertThrowsError(try mismatched.restoreCheckpoint(from: path)) {
            XCTAssertTrue(String(describing: $0).contains("momentum_buffer"), "\($0)")
        }
    }

    func testSeparateEvalBatchSizeEvaluatesTheSameNetwork() throws {
        let data = try syntheticData("1x8x8:3:64:23")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        var config = TrainingConfig(epochs: 1, batchSize: 16, learningRate: 0.1, seed: 3)
        let shared = try Trainer(graph: graph, config: config, backend: fastBackend())
        let a = try shared.run(data)
        config.evalBatchSize = 5
        let separate = try Trainer(graph: graph, config: config, backend: fastBackend())
        let b = try separate.run(data)
        let ea = try XCTUnwrap(a.evaluation), eb = try XCTUnwrap(b.evaluation)
        XCTAssertEqual(ea.samples, 23, "padding rows of the last batch are not counted")
        XCTAssertEqual(eb.samples, 23)
        XCTAssertEqual(ea.loss, eb.loss, accuracy: 1e-5)
        XCTAssertEqual(ea.accuracy, eb.accuracy)
        XCTAssertEqual(ea.split, "test")
    }

    func testLogitsMatchEvaluationAndPadPartialBatches() throws {
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let trainer = try Trainer(graph: graph, config: TrainingConfig(epochs: 1, batchSize: 4), backend: fastBackend())
        let images = (0..<(10 * 64)).map { Float($0 % 17) / 17 - 0.5 }
        let logits = try trainer.logits(for: images)
        XCTAssertEqual(logits.count, 30)
        let firstFour = try trainer.logits(for: Array(images.prefix(4 * 64)))
        XCTAssertEqual(Array(logits.prefix(12)), firstFour)
        XCTAssertThrowsError(try trainer.logits(for: [1, 2, 3]))
    }

    func testMismatchesAndBadSettingsAreTypedErrors() throws {
        let data = try syntheticData("1x8x8:3:64:16")
        let wrongInput = try tinyBatchNormNet(input: TensorShape(channels: 3, height: 8, width: 8), classes: 3)
        let t = try Trainer(graph: wrongInput, config: TrainingConfig(batchSize: 8), backend: fastBackend())
        XCTAssertThrowsError(try t.run(data)) {
            XCTAssertTrue(String(describing: $0).contains("takes input 3x8x8 but data set 'synthetic' has images of 1x8x8"), "\($0)")
        }
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 2)
        XCTAssertThrowsError(try Trainer(graph: graph, config: TrainingConfig(batchSize: 8), backend: fastBackend()).run(data)) {
            XCTAssertTrue(String(describing: $0).contains("outputs 2 classes"), "\($0)")
        }
        let fine = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        XCTAssertThrowsError(try Trainer(graph: fine, config: TrainingConfig(batchSize: 128), backend: fastBackend()).run(data)) {
            XCTAssertEqual($0 as? TrainingError, .datasetTooSmall(images: 64, batchSize: 128))
        }
        XCTAssertThrowsError(try Trainer(graph: fine, config: TrainingConfig(learningRate: -1), backend: fastBackend())) {
            XCTAssertEqual(String(describing: $0), "invalid learning rate: must be finite and >= 0, got -1.0")
        }
    }

    func testMaxStepsAndHistory() throws {
        let data = try syntheticData("1x8x8:3:64:16")
        let graph = try tinyBatchNormNet(input: TensorShape(channels: 1, height: 8, width: 8), classes: 3)
        let config = TrainingConfig(epochs: 3, batchSize: 16, maxSteps: 6, evaluateEveryEpochs: 1, metricsEvery: 100)
        var reports: [TrainingProgress] = []
        let result = try Trainer(graph: graph, config: config, backend: fastBackend()).run(data) { reports.append($0) }
        XCTAssertEqual(result.steps, 6)
        XCTAssertEqual(result.epochs, 1.5)
        XCTAssertEqual(reports.map(\.step), [4, 6], "metrics are read at epoch ends and at the last step")
        XCTAssertEqual(reports.map(\.endOfEpoch), [true, false])
        XCTAssertEqual(result.history.map(\.epoch), [1, 2])
        XCTAssertNotNil(result.history[0].evaluation, "evaluated after epoch 1")
        XCTAssertEqual(result.history[1].evaluation, result.evaluation)
        XCTAssertGreaterThan(result.imagesPerSecond, 0)
        XCTAssertTrue((0...1).contains(result.loaderWaitFraction))
    }
}
