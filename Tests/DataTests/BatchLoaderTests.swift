import Foundation
import XCTest
@testable import Data

final class BatchLoaderTests: XCTestCase {
    /// Single-channel 2x2 images whose first two pixels spell their index, so every float batch
    /// can be traced back to the samples it came from.
    private func indexed(_ count: Int, classes: Int = 10) -> Dataset {
        var images: [UInt8] = []
        for i in 0..<count { images += [UInt8(i % 256), UInt8(i / 256), 0, 255] }
        return Dataset(name: "indexed", shape: ImageShape(channels: 1, height: 2, width: 2), classes: classes,
                       images: images, labels: (0..<count).map { UInt8(($0 * 7) % classes) })
    }

    /// Indices of the valid samples of `batch` from `indexed` data under identity normalisation.
    private func indices(_ batch: Batch) -> [Int] {
        (0..<batch.validCount).map { j in
            Int((batch.images[j * 4] * 255).rounded()) + 256 * Int((batch.images[j * 4 + 1] * 255).rounded())
        }
    }

    private func hashes(_ loader: BatchLoader) -> [UInt64] {
        var result: [UInt64] = []
        while let batch = loader.next() { result.append(batchHash(batch)) }
        return result
    }

    func testSameSeedSameSequenceDifferentSeedDifferentOrder() {
        let data = DatasetCatalog.synthetic(shape: ImageShape(channels: 1, height: 8, width: 8), classes: 4, count: 300, seed: 1)
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        func make(_ seed: UInt64, prefetch: Int) -> BatchLoader {
            BatchLoader(dataset: data, batchSize: 32, shuffle: true, augmentation: augmentation,
                        normalization: .fit(data), seed: seed, dropLast: false, prefetch: prefetch, epochs: 2)
        }
        let first = hashes(make(5, prefetch: 1))
        XCTAssertEqual(first.count, 2 * 10)
        // A different ring depth changes the timing, never the content.
        XCTAssertEqual(hashes(make(5, prefetch: 6)), first)
        let other = hashes(make(6, prefetch: 4))
        XCTAssertEqual(other.count, first.count)
        XCTAssertNotEqual(other, first)
        // Epoch two is not a replay of epoch one.
        XCTAssertNotEqual(Array(first[0..<10]), Array(first[10..<20]))
    }

    func testEverySampleOncePerEpochInTheSeededOrder() {
        let data = indexed(1000)
        let loader = BatchLoader(dataset: data, batchSize: 64, shuffle: true, augmentation: .none,
                                 normalization: .identity(channels: 1), seed: 99, dropLast: false, epochs: 3)
        XCTAssertEqual(loader.batchesPerEpoch, 16)
        var perEpoch = [[Int]](repeating: [], count: 3)
        var expectedBatch = 0
        while let batch = loader.next() {
            XCTAssertEqual(batch.indexInEpoch, expectedBatch % 16)
            XCTAssertEqual(batch.epoch, expectedBatch / 16)
            expectedBatch += 1
            let seen = indices(batch)
            perEpoch[batch.epoch] += seen
            // Labels travel with their images.
            for (j, index) in seen.enumerated() { XCTAssertEqual(batch.labels[j], Int32(data.labels[index])) }
        }
        XCTAssertEqual(expectedBatch, 48)
        for epoch in 0..<3 {
            XCTAssertEqual(perEpoch[epoch].sorted(), Array(0..<1000), "epoch \(epoch) must hold each sample once")
            XCTAssertEqual(perEpoch[epoch], BatchLoader.epochOrder(count: 1000, epoch: epoch, seed: 99))
            let labels = perEpoch[epoch].map { data.labels[$0] }
            XCTAssertEqual(labels.sorted(), data.labels.sorted())
        }
        XCTAssertNotEqual(perEpoch[0], perEpoch[1])
        XCTAssertNotEqual(perEpoch[0], Array(0..<1000))
    }

    func testWithoutShuffleOrderIsSequential() {
        let loader = BatchLoader(dataset: indexed(70), batchSize: 32, shuffle: false, augmentation: .none,
                                 normalization: .identity(channels: 1), seed: 1, dropLast: false, epochs: 2)
        var seen: [Int] = []
        while let batch = loader.next() { seen += indices(batch) }
        XCTAssertEqual(seen, Array(0..<70) + Array(0..<70))
    }

    func testPartialBatchPaddingAndDropLast() {
        let data = indexed(100)
        let padded = BatchLoader(dataset: data, batchSize: 32, shuffle: true, augmentation: .none,
                                 normalization: Normalization(mean: [0.5], std: [0.25]), seed: 3, dropLast: false, epochs: 1)
        XCTAssertEqual(padded.batchesPerEpoch, 4)
        var batches = 0
        while let batch = padded.next() {
            batches += 1
            XCTAssertEqual(batch.labels.count, 32)
            XCTAssertEqual(batch.images.count, 32 * 4)
            if batch.indexInEpoch < 3 {
                XCTAssertEqual(batch.validCount, 32)
                XCTAssertFalse(batch.labels.contains(-1))
            } else {
                XCTAssertEqual(batch.validCount, 4)
                XCTAssertTrue(batch.labels[..<4].allSatisfy { $0 >= 0 })
                XCTAssertEqual(Array(batch.labels[4...]), [Int32](repeating: -1, count: 28))
                XCTAssertEqual(Array(batch.images[(4 * 4)...]), [Float](repeating: 0, count: 28 * 4))
            }
        }
        XCTAssertEqual(batches, 4)

        let dropped = BatchLoader(dataset: data, batchSize: 32, shuffle: true, augmentation: .none,
                                  normalization: .identity(channels: 1), seed: 3, dropLast: true, epochs: 2)
        XCTAssertEqual(dropped.batchesPerEpoch, 3)
        var seen = Set<Int>()
        var count = 0
        while let batch = dropped.next() {
            XCTAssertEqual(batch.validCount, 32)
            if batch.epoch == 0 { seen.formUnion(indices(batch)) }
            count += 1
        }
        XCTAssertEqual(count, 6)
        XCTAssertEqual(seen.count, 96)

        // Fewer samples than one batch with dropLast: no batches, and no endless spinning.
        let empty = BatchLoader(dataset: indexed(5), batchSize: 32, shuffle: true, augmentation: .none,
                                normalization: .identity(channels: 1), seed: 3, dropLast: true)
        XCTAssertNil(empty.next())
    }

    func testNormalisedValuesMatchDirectComputation() {
        let shape = ImageShape(channels: 3, height: 4, width: 3)
        let pixels = randomBytes(10 * shape.count, seed: 8)
        let data = Dataset(name: "rgb", shape: shape, classes: 2, images: pixels, labels: (0..<10).map { UInt8($0 % 2) })
        let normalization = Normalization(mean: [0.1, 0.5, 0.9], std: [0.2, 0.3, 0.05])
        let loader = BatchLoader(dataset: data, batchSize: 4, shuffle: false, augmentation: .none,
                                 normalization: normalization, seed: 0, dropLast: false, epochs: 1)
        var sample = 0
        while let batch = loader.next() {
            for j in 0..<batch.validCount {
                for c in 0..<3 {
                    for k in 0..<12 {
                        let pixel = Double(pixels[sample * 36 + c * 12 + k])
                        let expected = (pixel / 255 - Double(normalization.mean[c])) / Double(normalization.std[c])
                        XCTAssertEqual(Double(batch.images[j * 36 + c * 12 + k]), expected, accuracy: 1e-4)
                    }
                }
                sample += 1
            }
        }
        XCTAssertEqual(sample, 10)
    }

    func testAugmentedBatchesApplyTheSeededChoices() {
        let shape = ImageShape(channels: 2, height: 5, width: 6)
        let data = Dataset(name: "aug", shape: shape, classes: 1, images: randomBytes(9 * shape.count, seed: 4),
                           labels: [UInt8](repeating: 0, count: 9))
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        let loader = BatchLoader(dataset: data, batchSize: 4, shuffle: false, augmentation: augmentation,
                                 normalization: .identity(channels: 2), seed: 77, dropLast: false, epochs: 2)
        // The loader draws one choice per sample, in order, from its augmentation stream.
        var generator = SeededGenerator(seed: deriveSeed(77, BatchProducer.augmentationStream))
        var sample = 0
        var changed = 0
        while let batch = loader.next() {
            for j in 0..<batch.validCount {
                let index = sample % 9
                let original = Array(data.images[(index * shape.count)..<((index + 1) * shape.count)])
                let expected = Augmentation.apply(original, shape: shape, padding: 2, choice: augmentation.choose(using: &generator))
                let got = (0..<shape.count).map { UInt8((batch.images[j * shape.count + $0] * 255).rounded()) }
                XCTAssertEqual(got, expected)
                if got != original { changed += 1 }
                sample += 1
            }
        }
        XCTAssertEqual(sample, 18)
        XCTAssertGreaterThan(changed, 9)
    }

    func testStopWhileWorkerBlockedReturnsPromptly() {
        let data = indexed(1000)
        let loader = BatchLoader(dataset: data, batchSize: 8, shuffle: true, augmentation: .none,
                                 normalization: .identity(channels: 1), seed: 1, dropLast: false, prefetch: 2)
        XCTAssertNotNil(loader.next())
        // Let the worker fill the ring and block on a full ring.
        Thread.sleep(forTimeInterval: 0.05)
        let start = Date()
        loader.stop()
        loader.stop()
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
        XCTAssertNil(loader.next())
        // An endless loader dropped without stop() must not hang or leak its thread forever.
        var endless: BatchLoader? = BatchLoader(dataset: data, batchSize: 8, shuffle: false, augmentation: .none,
                                                normalization: .identity(channels: 1), seed: 1, dropLast: false)
        XCTAssertNotNil(endless?.next())
        endless = nil
    }

    func testEndlessLoaderKeepsGoing() {
        let loader = BatchLoader(dataset: indexed(50), batchSize: 16, shuffle: true, augmentation: .none,
                                 normalization: .identity(channels: 1), seed: 2, dropLast: true)
        var last: (epoch: Int, index: Int) = (0, 0)
        for _ in 0..<30 {
            guard let batch = loader.next() else { return XCTFail("endless loader ended") }
            last = (batch.epoch, batch.indexInEpoch)
        }
        XCTAssertEqual(last.epoch, 9)
        XCTAssertEqual(last.index, 2)
        loader.stop()
    }

    /// Prints (does not assert) how fast the worker prepares batches when the consumer never waits.
    func testThroughputReport() {
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let data = Dataset(name: "rate", shape: shape, classes: 10, images: randomBytes(20000 * shape.count, seed: 1),
                           labels: (0..<20000).map { UInt8($0 % 10) })
        for augmentation in [Augmentation.none, Augmentation(cropPadding: 2, horizontalFlip: true)] {
            let loader = BatchLoader(dataset: data, batchSize: 128, shuffle: true, augmentation: augmentation,
                                     normalization: .fashionMNIST, seed: 1, dropLast: true, epochs: 5)
            let start = Date()
            var images = 0
            var checksum: Float = 0
            while let batch = loader.next() {
                images += batch.validCount
                checksum += batch.images[0]
            }
            let seconds = Date().timeIntervalSince(start)
            XCTAssertEqual(images, 5 * 156 * 128)
            XCTAssertTrue(checksum.isFinite)
            print(String(format: "BatchLoader rate (batch 128, 1x28x28, crop %d, flip %@): %.0f images/s, %.3f s waited of %.3f s",
                         augmentation.cropPadding, augmentation.horizontalFlip ? "on" : "off",
                         Double(images) / seconds, loader.waitSeconds, seconds))
        }
    }
}
