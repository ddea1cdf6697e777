import Foundation
import NetIR
import Search
import XCTest
@testable import Cluster

/// The wire format without MPI: envelopes and every message kind survive encoding byte for byte, and a
/// damaged envelope is refused with the offset or field that is wrong.
final class MessageTests: XCTestCase {
    func testEnvelopeRoundTripKeepsHeaderAndBinaryParts() throws {
        let parts = [Data([0, 1, 2, 255]), Data(), Data((0..<1000).map { UInt8($0 % 251) })]
        let e = Envelope(header: Data("{\"kind\":\"stop\"}".utf8), parts: parts)
        let bytes = e.encoded()
        XCTAssertEqual(bytes.count, 12 + 8 * 3 + e.header.count + 4 + 0 + 1000)
        XCTAssertEqual(try Envelope(decoding: bytes), e)
    }

    func testDamagedEnvelopesAreRefused() throws {
        let bytes = Envelope(header: Data("{}".utf8), parts: [Data([9, 9, 9])]).encoded()
        XCTAssertThrowsError(try Envelope(decoding: bytes.dropLast())) { error in
            XCTAssertEqual(error as? ClusterError, .malformed("truncated part 0 at byte 22"))
        }
        XCTAssertThrowsError(try Envelope(decoding: bytes + Data([0]))) { error in
            XCTAssertEqual(error as? ClusterError, .malformed("1 trailing bytes after the last part"))
        }
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try Envelope(decoding: wrongMagic))
        XCTAssertThrowsError(try Envelope(decoding: Data([1, 2])))
    }

    func testEveryMessageRoundTrips() throws {
        let graph = try BuiltinNetwork.smallcnn.graph(input: TensorShape(channels: 1, height: 12, width: 12), classes: 4)
        var config = SearchConfig(data: "synthetic", seed: 3, evaluations: 8, generations: nil, batch: 2)
        config.niches = 7
        let metrics = CandidateMetrics(validationAccuracy: 0.5, validationLoss: 1.25, trainAccuracy: 0.25, trainLoss: 2,
                                       steps: 10, seconds: 2)
        let letters = [
            Letter(.hello(config)),
            Letter(.ready(devices: ["cpu", "opencl:0"])),
            Letter(.unavailable("no data at /x")),
            Letter(.job(.init(candidate: 12, device: 1, graph: graph, keepWeights: true)), parts: [Data([1, 2]), Data([3])]),
            Letter(.result(.init(candidate: 12, device: 1, metrics: metrics, failure: nil)), parts: [Data([7])]),
            Letter(.result(.init(candidate: 13, device: 0, metrics: nil, failure: .outOfMemory("4 GiB")))),
            Letter(.stop),
        ]
        for letter in letters {
            XCTAssertEqual(try Letter(decoding: try letter.encoded()), letter, "\(letter.message)")
        }
    }

    func testNonFiniteMetricsTravel() throws {
        let metrics = CandidateMetrics(validationAccuracy: 0.1, validationLoss: .infinity, trainAccuracy: .nan, trainLoss: -.infinity)
        let letter = Letter(.result(.init(candidate: 1, device: 0, metrics: metrics, failure: nil)))
        guard case .result(let r) = try Letter(decoding: try letter.encoded()).message, let m = r.metrics else {
            return XCTFail("not a result with metrics")
        }
        XCTAssertTrue(m.trainAccuracy.isNaN)
        XCTAssertEqual(m.validationLoss, .infinity)
        XCTAssertEqual(m.trainLoss, -.infinity)
    }

    func testAHeaderThatIsNotAMessageIsRefused() {
        let bytes = Envelope(header: Data("{\"kind\":\"shutdown\"}".utf8)).encoded()
        XCTAssertThrowsError(try Letter(decoding: bytes)) { error in
            guard case .malformed(let m)? = error as? ClusterError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("shutdown"), m)
        }
    }
}
