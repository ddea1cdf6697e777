import Foundation
import XCTest
@testable import Data

final class CIFARTests: XCTestCase {
    /// Records of `labelBytes` label bytes + 3072 pixels; returns the file bytes and what should be read back.
    private func records(_ n: Int, labelBytes: Int, seed: UInt64, classes: Int)
        -> (bytes: [UInt8], images: [UInt8], labels: [UInt8]) {
        var bytes: [UInt8] = [], images: [UInt8] = [], labels: [UInt8] = []
        for i in 0..<n {
            let pixels = randomBytes(3072, seed: seed &+ UInt64(i))
            let fine = UInt8((i * 7 + Int(seed)) % classes)
            // CIFAR-100 puts the coarse label first; give it a different value so a mix-up shows.
            let labelPart: [UInt8] = labelBytes == 1 ? [fine] : [UInt8(i % 20), fine]
            bytes += labelPart + pixels
            images += pixels
            labels.append(fine)
        }
        return (bytes, images, labels)
    }

    func testCIFAR10ReadsPresentBatchesInOrder() throws {
        let dir = try makeTemporaryDirectory(self)
        let batch1 = records(3, labelBytes: 1, seed: 100, classes: 10)
        let batch3 = records(2, labelBytes: 1, seed: 200, classes: 10)
        let test = records(4, labelBytes: 1, seed: 300, classes: 10)
        try write(batch1.bytes, to: dir + "/data_batch_1.bin")
        try write(batch3.bytes, to: dir + "/data_batch_3.bin")
        try write(test.bytes, to: dir + "/test_batch.bin")
        let pair = try DatasetCatalog.load("cifar10:" + dir, seed: 0)
        XCTAssertEqual(pair.train.shape, ImageShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(pair.train.classes, 10)
        XCTAssertEqual(pair.train.count, 5)
        XCTAssertEqual(pair.train.images, batch1.images + batch3.images)
        XCTAssertEqual(pair.train.labels, batch1.labels + batch3.labels)
        XCTAssertEqual(pair.test.images, test.images)
        XCTAssertEqual(pair.test.labels, test.labels)
    }

    func testCIFAR100UsesFineLabels() throws {
        let dir = try makeTemporaryDirectory(self)
        let train = records(3, labelBytes: 2, seed: 7, classes: 100)
        let test = records(2, labelBytes: 2, seed: 8, classes: 100)
        try write(train.bytes, to: dir + "/train.bin")
        try write(test.bytes, to: dir + "/test.bin")
        let pair = try DatasetCatalog.load("cifar100:" + dir, seed: 0)
        XCTAssertEqual(pair.train.classes, 100)
        XCTAssertEqual(pair.train.labels, train.labels)
        XCTAssertEqual(pair.train.images, train.images)
        XCTAssertEqual(pair.test.labels, test.labels)
    }

    func testTruncatedRecord() throws {
        let dir = try makeTemporaryDirectory(self)
        let batch = records(2, labelBytes: 1, seed: 1, classes: 10)
        try write(Array(batch.bytes.dropLast(100)), to: dir + "/data_batch_1.bin")
        try write(batch.bytes, to: dir + "/test_batch.bin")
        assertDataError(try DatasetCatalog.load("cifar10:" + dir, seed: 0), names: "data_batch_1.bin") {
            $0 == .truncated(path: dir + "/data_batch_1.bin", expected: 2 * 3073, found: 2 * 3073 - 100)
        }
    }

    func testMissingFilesAndBadLabels() throws {
        let dir = try makeTemporaryDirectory(self)
        assertDataError(try DatasetCatalog.load("cifar10:" + dir, seed: 0), names: dir) {
            if case .datasetNotFound = $0 { return true } else { return false }
        }
        var batch = records(2, labelBytes: 1, seed: 1, classes: 10)
        try write(batch.bytes, to: dir + "/data_batch_2.bin")
        assertDataError(try DatasetCatalog.load("cifar10:" + dir, seed: 0), names: "test_batch.bin") {
            $0 == .fileMissing(path: dir + "/test_batch.bin")
        }
        batch.bytes[3073] = 10
        try write(batch.bytes, to: dir + "/test_batch.bin")
        assertDataError(try DatasetCatalog.load("cifar10:" + dir, seed: 0), names: "test_batch.bin") {
            $0 == .labelOutOfRange(path: dir + "/test_batch.bin", index: 1, label: 10, classes: 10)
        }
    }
}
