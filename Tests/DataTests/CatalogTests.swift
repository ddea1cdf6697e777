import Foundation
import XCTest
@testable import Data

final class CatalogTests: XCTestCase {
    func testRealFashionMNISTWhenInstalled() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: dir) else {
            throw XCTSkip("\(dir) is absent; `apt-get install dataset-fashion-mnist` to run this test")
        }
        let pair = try DatasetCatalog.load("fashion-mnist:" + dir, seed: 0)
        XCTAssertEqual(pair.train.count, 60000)
        XCTAssertEqual(pair.test.count, 10000)
        XCTAssertEqual(pair.train.shape, ImageShape(channels: 1, height: 28, width: 28))
        XCTAssertEqual(pair.test.shape, pair.train.shape)
        XCTAssertEqual(pair.train.images.count, 60000 * 784)
        XCTAssertTrue(pair.train.labels.allSatisfy { $0 < 10 })
        XCTAssertTrue(pair.test.labels.allSatisfy { $0 < 10 })
        XCTAssertEqual(pair.train.classCounts(), [Int](repeating: 6000, count: 10))
        XCTAssertEqual(pair.test.classCounts(), [Int](repeating: 1000, count: 10))

        // The published constant is what fit computes on this very data.
        let fitted = Normalization.fit(pair.train)
        XCTAssertEqual(fitted.mean[0], Normalization.fashionMNIST.mean[0], accuracy: 1e-6)
        XCTAssertEqual(fitted.std[0], Normalization.fashionMNIST.std[0], accuracy: 1e-6)
    }

    func testSearchPathOrderAndDataDirOverride() throws {
        let root = try makeTemporaryDirectory(self)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        setenv("LLMATIC_DATA_DIR", root, 1)
        defer { unsetenv("LLMATIC_DATA_DIR") }
        XCTAssertEqual(DatasetCatalog.searchPath(for: "fashion-mnist"),
                       [root + "/fashion-mnist", "/usr/share/datasets/fashion-mnist", home + "/.cache/llmatic/fashion-mnist"])

        // A folder under LLMATIC_DATA_DIR wins over the system one.
        let dir = root + "/fashion-mnist"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pixels = randomBytes(2 * 9, seed: 3)
        for name in DatasetCatalog.idxFiles {
            try write(name.contains("images") ? idxImages(count: 2, height: 3, width: 3, pixels: pixels) : idxLabels([4, 9]),
                      to: dir + "/" + name)
        }
        let pair = try DatasetCatalog.load("fashion-mnist", seed: 0)
        XCTAssertEqual(pair.train.images, pixels)
        XCTAssertEqual(pair.test.labels, [4, 9])
        XCTAssertEqual(pair.train.name, "fashion-mnist")
    }

    func testNotFoundListsFoldersAndHowToInstall() {
        do {
            _ = try DatasetCatalog.findIDXDirectory("no-such-set")
            XCTFail("expected datasetNotFound")
        } catch {
            let text = error.description
            XCTAssertTrue(text.contains("/usr/share/datasets/no-such-set"), text)
            XCTAssertTrue(text.contains(".cache/llmatic/no-such-set"), text)
        }
        XCTAssertTrue(DatasetCatalog.notFoundHint("fashion-mnist").contains("apt-get install dataset-fashion-mnist"))
    }

    func testBadSpecs() {
        for spec in ["imagenet", "cifar10", "mnist:", "synthetic:1x28x28:10:100", "synthetic:1x28:10:100:10",
                     "synthetic:1x28x28:1:100:10", "synthetic:1x28x28:10:0:10", "synthetic:0x28x28:10:100:10"] {
            assertDataError(try DatasetCatalog.load(spec, seed: 0), names: spec) {
                if case .unknownDatasetSpec = $0 { return true } else { return false }
            }
        }
    }

    func testSyntheticSpecAndDefaults() throws {
        let pair = try DatasetCatalog.load("synthetic", seed: 1)
        XCTAssertEqual(pair.train.shape, ImageShape(channels: 1, height: 28, width: 28))
        XCTAssertEqual(pair.train.count, 2048)
        XCTAssertEqual(pair.test.count, 512)
        XCTAssertEqual(pair.train.classes, 10)
        // The public single-set generator gives the train half; the test half is a different stream.
        let direct = DatasetCatalog.synthetic(shape: pair.train.shape, classes: 10, count: 2048, seed: 1)
        XCTAssertEqual(direct.images, pair.train.images)
        XCTAssertNotEqual(Array(pair.test.images.prefix(784)), Array(pair.train.images.prefix(784)))

        let custom = try DatasetCatalog.load("synthetic:3x8x6:4:40:12", seed: 2)
        XCTAssertEqual(custom.train.shape, ImageShape(channels: 3, height: 8, width: 6))
        XCTAssertEqual(custom.train.classes, 4)
        XCTAssertEqual(custom.train.count, 40)
        XCTAssertEqual(custom.test.count, 12)
        XCTAssertEqual(custom.train.images.count, 40 * 3 * 8 * 6)
    }

    func testSyntheticDeterministicSeededAndBalanced() {
        let shape = ImageShape(channels: 1, height: 12, width: 12)
        let a = DatasetCatalog.synthetic(shape: shape, classes: 5, count: 103, seed: 42)
        let b = DatasetCatalog.synthetic(shape: shape, classes: 5, count: 103, seed: 42)
        let c = DatasetCatalog.synthetic(shape: shape, classes: 5, count: 103, seed: 43)
        XCTAssertEqual(a.images, b.images)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertNotEqual(a.images, c.images)
        let counts = a.classCounts()
        XCTAssertEqual(counts.reduce(0, +), 103)
        XCTAssertLessThanOrEqual(counts.max()! - counts.min()!, 1)
        // Not degenerate: pixels spread over most of the byte range.
        let distinct = Set(a.images)
        XCTAssertGreaterThan(distinct.count, 150)
    }

    /// Nearest class mean on the raw pixels should beat chance clearly (the classes are real)
    /// yet be far from perfect (the task is not trivial): a cheap stand-in for training a model.
    func testSyntheticIsLearnableButNotTrivial() {
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let pair = DatasetCatalog.synthetic(shape: shape, classes: 10, trainCount: 2000, testCount: 500, seed: 9)
        let size = shape.count
        var means = [Double](repeating: 0, count: 10 * size)
        let counts = pair.train.classCounts()
        for i in 0..<pair.train.count {
            let label = Int(pair.train.labels[i])
            for k in 0..<size { means[label * size + k] += Double(pair.train.images[i * size + k]) / Double(counts[label]) }
        }
        var correct = 0
        for i in 0..<pair.test.count {
            var best = (distance: Double.infinity, label: -1)
            for label in 0..<10 {
                var distance = 0.0
                for k in 0..<size {
                    let d = Double(pair.test.images[i * size + k]) - means[label * size + k]
                    distance += d * d
                }
                if distance < best.distance { best = (distance, label) }
            }
            if best.label == Int(pair.test.labels[i]) { correct += 1 }
        }
        let accuracy = Double(correct) / Double(pair.test.count)
        print("synthetic nearest-class-mean test accuracy: \(accuracy)")
        XCTAssertGreaterThan(accuracy, 0.3)
        XCTAssertLessThan(accuracy, 0.9)
    }
}
