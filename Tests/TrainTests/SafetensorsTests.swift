import Foundation
import XCTest
@testable import Train

final class SafetensorsTests: XCTestCase {
    func sample() -> SafetensorsFile {
        SafetensorsFile(tensors: [
            SafetensorsTensor(name: "conv1.weight", shape: [2, 1, 1, 3], floats: [1, -2, 3.5, 0, -0.0, .pi]),
            SafetensorsTensor(name: "conv1.bias", shape: [2], floats: [Float.leastNonzeroMagnitude, -1e30]),
            SafetensorsTensor(name: "bn \"odd\".num_batches_tracked", int64: 12345),
            SafetensorsTensor(name: "empty", shape: [0, 4], floats: []),
        ], metadata: ["format": "pt", "note": "line\nbreak"])
    }

    func testRoundTripInMemoryAndOnDisk() throws {
        let file = sample()
        let bytes = file.encoded()
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header is padded to 8 bytes so tensor data stays aligned")
        XCTAssertEqual(try SafetensorsFile.decode(bytes, path: "mem"), file)

        let path = try makeScratchDirectory(self) + "/w.safetensors"
        try file.write(to: path)
        let back = try SafetensorsFile.read(path: path)
        XCTAssertEqual(back, file)
        XCTAssertEqual(back.tensor(named: "conv1.weight")?.floats, [1, -2, 3.5, 0, -0.0, .pi])
        XCTAssertEqual(back.tensor(named: "bn \"odd\".num_batches_tracked")?.int64, 12345)
        XCTAssertEqual(back.metadata["note"], "line\nbreak")
        // No temporary file is left beside the target.
        let folder = (path as NSString).deletingLastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["w.safetensors"])
    }

    func testEveryTruncationIsAnErrorNotACrash() throws {
        let bytes = sample().encoded()
        for cut in [0, 4, 7, 8, 20, bytes.count / 2, bytes.count - 9, bytes.count - 1] {
            XCTAssertThrowsError(try SafetensorsFile.decode(Array(bytes.prefix(cut)), path: "cut.safetensors"), "cut at \(cut)") {
                let text = String(describing: $0)
                XCTAssertTrue(text.hasPrefix("cut.safetensors: "), text)
            }
        }
        XCTAssertThrowsError(try SafetensorsFile.decode(Array(bytes.prefix(bytes.count - 1)), path: "f")) {
            guard case SafetensorsError.truncated(_, let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("empty") || message.contains("num_batches"), message)
        }
    }

    func testTrailingBytesAreRejected() {
        XCTAssertThrowsError(try SafetensorsFile.decode(sample().encoded() + [0, 0, 0, 0], path: "f")) {
            XCTAssertTrue(String(describing: $0).contains("belong to none"), "\($0)")
        }
    }

    /// A file with a hand-written header (already padded by the caller if it matters).
    func file(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) } + h + data
    }

    func testCorruptHeadersNameTheProblem() {
        let cases: [(String, [UInt8], String)] = [
            ("not json", [], "not JSON"),
            ("[1, 2]", [], "not a JSON object"),
            (#"{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "unknown dtype 'F99'"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "needs 2 x 4 bytes"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "shape is not a list"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, [0, 0, 0, 0], "data_offsets must be"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
             [UInt8](repeating: 0, count: 6), "overlaps"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8), "gap"),
            (#"{"__metadata__":{"k":1}}"#, [], "metadata 'k' is not a string"),
        ]
        for (header, data, expected) in cases {
            XCTAssertThrowsError(try SafetensorsFile.decode(file(header: header, data: data), path: "x.safetensors"), header) {
                XCTAssertTrue(String(describing: $0).contains(expected), "\(header): \($0)")
            }
        }
        // A corrupt length field must not make the reader allocate or read far.
        var huge = file(header: "{}", data: [])
        huge[7] = 0x7f
        XCTAssertThrowsError(try SafetensorsFile.decode(huge, path: "x")) {
            XCTAssertTrue(String(describing: $0).contains("implausible"), "\($0)")
        }
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SafetensorsFile.read(path: "/nonexistent/llmatic/w.safetensors")) {
            XCTAssertEqual($0 as? SafetensorsError, .io(path: "/nonexistent/llmatic/w.safetensors", message: "no such file"))
        }
    }
}
