// Reading data never allocates more than the data can be: gzip is inflated at most to the size the IDX header
// declares, a header declaring more than the machine can hold is refused, and synthetic specs are sized (with
// checked arithmetic) before anything is generated.
import Foundation
import XCTest
@testable import Data

final class BoundedReadTests: XCTestCase {
    /// Peak resident memory of this process since the last reset, in bytes (Linux; nil elsewhere).
    private func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    private func resetPeak() -> Bool {
        (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    }

    func testAGzipTrailerClaimingGigabytesAllocatesOnlyWhatTheHeaderDeclares() throws {
        let dir = try makeTemporaryDirectory(self)
        // 5,200 random 28x28 images (4 MB, incompressible): before the fix, a trailer claiming 4 GB was believed
        // up to 1,100x the compressed size and the reader allocated (and zeroed) 4.3 GB.
        let count = 5_200
        let file = idxImages(count: count, height: 28, width: 28, pixels: randomBytes(count * 784, seed: 5))
        var gz = try gzipCompress(file)
        gz.replaceSubrange((gz.count - 4)..., with: [0xff, 0xff, 0xff, 0xff])
        try write(gz, to: dir + "/images.gz")
        guard resetPeak(), let before = peakResidentBytes() else { throw XCTSkip("no /proc/self/clear_refs here") }
        XCTAssertThrowsError(try IDXReader.readImages(path: dir + "/images.gz")) { error in
            guard case .corruptGzip = error as? DataError else { return XCTFail("\(error)") }
        }
        let grown = (peakResidentBytes() ?? 0) - before
        XCTAssertLessThan(grown, 200 << 20, "reading a 4 MB file took \(grown >> 20) MB")
    }

    func testGzipInflatingBeyondTheHeaderStopsThere() throws {
        let dir = try makeTemporaryDirectory(self)
        let file = idxImages(count: 3, height: 4, width: 4, pixels: randomBytes(48, seed: 1))
        // A second gzip member of 1 MB of zeros after a whole file: the header declares 64 bytes.
        try write(try gzipCompress(file) + gzipCompress([UInt8](repeating: 0, count: 1 << 20)), to: dir + "/long.gz")
        assertDataError(try IDXReader.readImages(path: dir + "/long.gz"), names: "long.gz") {
            $0 == .tooLarge(source: dir + "/long.gz", reason: "the gzip stream inflates to more than 64 bytes, the size its IDX header declares")
        }
        // Exactly the declared size still reads, from a plain or a compressed file.
        try write(try gzipCompress(file), to: dir + "/exact.gz")
        XCTAssertEqual(try IDXReader.readImages(path: dir + "/exact.gz").pixels, Array(file[16...]))
    }

    func testAHeaderDeclaringMoreThanTheMachineHoldsIsRefusedBeforeReading() throws {
        let dir = try makeTemporaryDirectory(self)
        // 4 billion x 65535 x 65535 bytes: the product overflows 64 bits.
        let header = idxImages(count: 0xFFFF_FFFF, height: 65535, width: 65535, pixels: [1, 2, 3])
        try write(try gzipCompress(header), to: dir + "/huge.gz")
        XCTAssertThrowsError(try IDXReader.readImages(path: dir + "/huge.gz")) { error in
            guard case .tooLarge(let source, let reason) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(source, dir + "/huge.gz")
            XCTAssertTrue(reason.contains("more memory than a 64-bit count can hold"), reason)
        }
        // 100,000 x 1000 x 1000 bytes = 100 GB: more than any machine this runs on gives a data set.
        try write(idxImages(count: 100_000, height: 1000, width: 1000, pixels: []), to: dir + "/big")
        XCTAssertThrowsError(try IDXReader.readImages(path: dir + "/big")) { error in
            guard case .tooLarge = error as? DataError else { return XCTFail("\(error)") }
        }
    }

    func testSyntheticSpecsAreSizedBeforeGenerating() {
        func refusal(_ spec: String) -> DataError? {
            do { _ = try DatasetCatalog.load(spec, seed: 0); return nil } catch { return error }
        }
        guard case .unknownDatasetSpec(_, let reason)? = refusal("synthetic:9223372036854775807x2x2:10:10:10") else {
            return XCTFail("a side of 2^63-1 must be refused")
        }
        XCTAssertTrue(reason.contains("has a size above"), reason)
        for spec in ["synthetic:1x100000x100000:10:10:10", "synthetic:1x28x28:10:9999999999999:1",
                     "synthetic:16777216x16777216x16777216:10:10:10"] {
            guard case .tooLarge(let source, let reason)? = refusal(spec) else { return XCTFail("\(spec) must be refused") }
            XCTAssertEqual(source, spec)
            XCTAssertTrue(reason.contains("memory"), reason)
        }
        XCTAssertNil(refusal("synthetic:1x8x8:4:16:8"))
    }

    func testMemoryBudgetParsesLimitsAndChecksSums() {
        XCTAssertEqual(MemoryBudget.parseBytes("512M"), 512 << 20)
        XCTAssertEqual(MemoryBudget.parseBytes("2g"), 2 << 30)
        XCTAssertEqual(MemoryBudget.parseBytes("123"), 123)
        XCTAssertNil(MemoryBudget.parseBytes("-1"))
        XCTAssertNil(MemoryBudget.parseBytes("9223372036854775807G"))
        XCTAssertEqual(MemoryBudget.bytes([[2, 3], [4]]), 10)
        XCTAssertNil(MemoryBudget.bytes([[Int.max, 2]]))
        XCTAssertNil(MemoryBudget.bytes([[Int.max], [1]]))
        XCTAssertNotNil(MemoryBudget.refusal(nil, for: "x"))
        XCTAssertNil(MemoryBudget.refusal(1, for: "x"))
    }
}
