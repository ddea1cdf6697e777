import Foundation
import XCTest
@testable import Data

final class IDXReaderTests: XCTestCase {
    private let count = 7, height = 5, width = 4

    private func payload() -> (pixels: [UInt8], labels: [UInt8]) {
        (randomBytes(count * height * width, seed: 11), (0..<count).map { UInt8($0 % 10) })
    }

    func testReadsRawFilesExactly() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        try write(idxImages(count: count, height: height, width: width, pixels: pixels), to: dir + "/img")
        try write(idxLabels(labels), to: dir + "/lab")
        let images = try IDXReader.readImages(path: dir + "/img")
        XCTAssertEqual(images.count, count)
        XCTAssertEqual(images.height, height)
        XCTAssertEqual(images.width, width)
        XCTAssertEqual(images.pixels, pixels)
        XCTAssertEqual(try IDXReader.readLabels(path: dir + "/lab"), labels)
    }

    func testReadsGzipFilesByMagicNotExtension() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        let imageBytes = idxImages(count: count, height: height, width: width, pixels: pixels)
        // No .gz suffix on purpose: detection must use the 0x1f 0x8b magic.
        try write(gzipCompress(imageBytes), to: dir + "/img")
        try write(gzipCompress(idxLabels(labels)), to: dir + "/lab.gz")
        let images = try IDXReader.readImages(path: dir + "/img")
        XCTAssertEqual(images.pixels, pixels)
        XCTAssertEqual(images.count, count)
        XCTAssertEqual(try IDXReader.readLabels(path: dir + "/lab.gz"), labels)
    }

    func testReadsConcatenatedGzipMembersAndLargePayload() throws {
        let dir = try makeTemporaryDirectory(self)
        // Large enough that inflate has to grow its output buffer more than once.
        let pixels = [UInt8](repeating: 3, count: 300 * 28 * 28) + randomBytes(100 * 28 * 28, seed: 5)
        let bytes = idxImages(count: 400, height: 28, width: 28, pixels: pixels)
        let half = bytes.count / 2
        try write(gzipCompress(Array(bytes[..<half])) + gzipCompress(Array(bytes[half...])), to: dir + "/img")
        XCTAssertEqual(try IDXReader.readImages(path: dir + "/img").pixels, pixels)
    }

    func testMissingFile() {
        assertDataError(try IDXReader.readLabels(path: "/nonexistent/labels-idx1-ubyte"), names: "labels-idx1-ubyte") {
            $0 == .fileMissing(path: "/nonexistent/labels-idx1-ubyte")
        }
    }

    func testTruncatedRawAndGzip() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, _) = payload()
        let full = idxImages(count: count, height: height, width: width, pixels: pixels)
        let cut = Array(full.dropLast(5))
        try write(cut, to: dir + "/short-images")
        assertDataError(try IDXReader.readImages(path: dir + "/short-images"), names: "short-images") {
            $0 == .truncated(path: dir + "/short-images", expected: full.count, found: full.count - 5)
        }
        // A complete gzip stream of a truncated file: reported after decompression.
        try write(gzipCompress(cut), to: dir + "/short-images.gz")
        assertDataError(try IDXReader.readImages(path: dir + "/short-images.gz"), names: "short-images.gz") {
            $0 == .truncated(path: dir + "/short-images.gz", expected: full.count, found: full.count - 5)
        }
        // Shorter than the header.
        try write([0, 0, 8], to: dir + "/tiny")
        assertDataError(try IDXReader.readLabels(path: dir + "/tiny"), names: "tiny") {
            $0 == .truncated(path: dir + "/tiny", expected: 8, found: 3)
        }
        // Extra bytes are an error too: the header must describe the file exactly.
        try write(full + [1, 2], to: dir + "/long-images")
        assertDataError(try IDXReader.readImages(path: dir + "/long-images"), names: "long-images") {
            $0 == .trailingData(path: dir + "/long-images", expected: full.count, found: full.count + 2)
        }
    }

    func testWrongMagic() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        // A label file where an image file is expected, and vice versa.
        try write(idxLabels(labels), to: dir + "/labels-as-images")
        assertDataError(try IDXReader.readImages(path: dir + "/labels-as-images"), names: "labels-as-images") {
            $0 == .badMagic(path: dir + "/labels-as-images", expected: 0x803, found: 0x801)
        }
        try write(idxImages(count: count, height: height, width: width, pixels: pixels, magic: 0x1234_5678), to: dir + "/junk")
        assertDataError(try IDXReader.readImages(path: dir + "/junk"), names: "junk") { error in
            error == .badMagic(path: dir + "/junk", expected: 0x803, found: 0x1234_5678)
                && error.description.contains("0x12345678")
        }
    }

    func testTruncatedAndCorruptGzip() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, _) = payload()
        let compressed = try gzipCompress(idxImages(count: count, height: height, width: width, pixels: pixels))
        try write(Array(compressed[..<(compressed.count / 2)]), to: dir + "/cut.gz")
        assertDataError(try IDXReader.readImages(path: dir + "/cut.gz"), names: "cut.gz") {
            if case .corruptGzip = $0 { return true } else { return false }
        }
        // Damage the deflate data after the 10-byte header: either the blocks or the CRC fail.
        var damaged = compressed
        for i in stride(from: 12, to: damaged.count - 8, by: 7) { damaged[i] ^= 0x5a }
        try write(damaged, to: dir + "/damaged.gz")
        assertDataError(try IDXReader.readImages(path: dir + "/damaged.gz"), names: "damaged.gz") {
            if case .corruptGzip = $0 { return true } else { return false }
        }
        // Garbage after a complete stream.
        try write(compressed + [0x42, 0x42, 0x42], to: dir + "/trailing.gz")
        assertDataError(try IDXReader.readImages(path: dir + "/trailing.gz"), names: "trailing.gz") {
            if case .corruptGzip = $0 { return true } else { return false }
        }
    }

    func testImageLabelCountMismatch() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        for name in DatasetCatalog.idxFiles {
            let bytes = name.contains("images")
                ? idxImages(count: count, height: height, width: width, pixels: pixels)
                : idxLabels(name.hasPrefix("train") ? Array(labels.dropLast()) : labels)
            try write(bytes, to: dir + "/" + name)
        }
        assertDataError(try DatasetCatalog.load("mnist:" + dir, seed: 0), names: "train-labels-idx1-ubyte") {
            $0 == .dimensionMismatch(path: dir + "/train-labels-idx1-ubyte", otherPath: dir + "/train-images-idx3-ubyte",
                                     what: "number of items", value: count - 1, otherValue: count)
        }
    }

    func testLabelOutOfRange() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        var bad = labels
        bad[3] = 10
        for name in DatasetCatalog.idxFiles {
            let bytes = name.contains("images")
                ? idxImages(count: count, height: height, width: width, pixels: pixels)
                : idxLabels(name.hasPrefix("t10k") ? bad : labels)
            try write(bytes, to: dir + "/" + name)
        }
        assertDataError(try DatasetCatalog.load("fashion-mnist:" + dir, seed: 0), names: "t10k-labels-idx1-ubyte") {
            $0 == .labelOutOfRange(path: dir + "/t10k-labels-idx1-ubyte", index: 3, label: 10, classes: 10)
        }
    }

    func testLoadsMNISTStyleFolderWithMixedGzip() throws {
        let dir = try makeTemporaryDirectory(self)
        let (pixels, labels) = payload()
        for name in DatasetCatalog.idxFiles {
            let bytes = name.contains("images")
                ? idxImages(count: count, height: height, width: width, pixels: pixels)
                : idxLabels(labels)
            // Train files gzipped with the suffix, test files raw.
            if name.hasPrefix("train") {
                try write(gzipCompress(bytes), to: dir + "/" + name + ".gz")
            } else {
                try write(bytes, to: dir + "/" + name)
            }
        }
        let pair = try DatasetCatalog.load("mnist:" + dir, seed: 0)
        XCTAssertEqual(pair.train.shape, ImageShape(channels: 1, height: height, width: width))
        XCTAssertEqual(pair.train.images, pixels)
        XCTAssertEqual(pair.test.labels, labels)
        XCTAssertEqual(pair.train.classes, 10)
        XCTAssertEqual(pair.train.name, "mnist")

        try FileManager.default.removeItem(atPath: dir + "/t10k-images-idx3-ubyte")
        assertDataError(try DatasetCatalog.load("mnist:" + dir, seed: 0), names: "t10k-images-idx3-ubyte") {
            if case .fileMissing = $0 { return true } else { return false }
        }
    }
}
