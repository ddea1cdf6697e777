// Helpers shared by the Data tests: scratch folders and writers for the file formats under test.
import CZlib
import Foundation
import XCTest
@testable import Data

/// A fresh folder under the system temp dir, removed by the test's teardown.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "llmatic-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func bigEndian(_ value: Int) -> [UInt8] {
    let v = UInt32(value)
    return [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
}

/// An idx3-ubyte file's bytes.
func idxImages(count: Int, height: Int, width: Int, pixels: [UInt8], magic: Int = 0x803) -> [UInt8] {
    bigEndian(magic) + bigEndian(count) + bigEndian(height) + bigEndian(width) + pixels
}

/// An idx1-ubyte file's bytes.
func idxLabels(_ labels: [UInt8], count: Int? = nil, magic: Int = 0x801) -> [UInt8] {
    bigEndian(magic) + bigEndian(count ?? labels.count) + labels
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// gzip-compresses with zlib's deflate (windowBits 15 + 16 selects the gzip wrapper).
func gzipCompress(_ input: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                        ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw XCTSkip("zlib deflateInit2 failed")
    }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var input = input
    let status = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    XCTAssertEqual(status, Z_STREAM_END)
    return Array(output[..<Int(stream.total_out)])
}

/// Deterministic pseudo-random bytes for test payloads.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

/// Asserts that `body` throws a DataError matching `expected` whose description names `fileName`.
func assertDataError<T>(_ body: @autoclosure () throws -> T, names fileName: String,
                        file: StaticString = #filePath, line: UInt = #line,
                        _ expected: (DataError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected a DataError naming \(fileName), got success", file: file, line: line)
    } catch let error as DataError {
        XCTAssertTrue(expected(error), "unexpected error case: \(error)", file: file, line: line)
        XCTAssertTrue(error.description.contains(fileName), "'\(error)' does not name \(fileName)", file: file, line: line)
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
}

/// FNV-1a over a batch's floats and labels, to compare batch sequences cheaply.
func batchHash(_ batch: Batch) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ value: UInt32) {
        hash = (hash ^ UInt64(value)) &* 0x100_0000_01b3
    }
    for value in batch.images { mix(value.bitPattern) }
    for label in batch.labels { mix(UInt32(bitPattern: label)) }
    mix(UInt32(batch.validCount))
    mix(UInt32(batch.epoch))
    mix(UInt32(batch.indexInEpoch))
    return hash
}
