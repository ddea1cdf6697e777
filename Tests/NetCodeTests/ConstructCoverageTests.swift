import Foundation
import XCTest
import NetIR
@testable import NetCode

/// The construct corpus (Tests/NetCodeTests/Constructs): one small network per construct, written the way code
/// models write PyTorch, plus a few whole model-style networks. `expected.tsv` holds PyTorch's parameter count and
/// output shape for each (made by `scripts/construct-table`, which runs real PyTorch; `--check` re-verifies).
/// A network passes when NetCode parses it with exactly those figures. Coverage may only go up: `passingFloor`
/// is what passed when it was last raised.
final class ConstructCoverageTests: XCTestCase {
    /// Networks that passed when this floor was last set. Raise it when coverage grows; never lower it.
    static let passingFloor = 196

    struct Row {
        var file: String
        var input: TensorShape
        var parameters: Int
        var output: [Int]
        /// The construct family: the file name up to the first underscore (`act`, `view`, `net`, ...).
        var category: String { String(file.prefix { $0 != "_" }) }
    }

    enum Outcome {
        case pass
        /// Parsed, but with other figures than PyTorch's.
        case mismatch(String)
        /// Refused with a located source error.
        case refused(SourceError)
    }

    static func directory() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Constructs", withExtension: nil) else {
            XCTFail("the Constructs resource is missing from the test bundle (Package.swift: .copy(\"Constructs\"))")
            throw CocoaError(.fileNoSuchFile)
        }
        return url
    }

    static func table() throws -> [Row] {
        let text = try String(contentsOf: try directory().appendingPathComponent("expected.tsv"), encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t").map(String.init)
            guard f.count == 4, let params = Int(f[2]) else { throw CocoaError(.fileReadCorruptFile) }
            let dims = { (s: String) in s.split(separator: "x").compactMap { Int($0) } }
            return Row(file: f[0], input: TensorShape(dims(f[1])), parameters: params, output: dims(f[3]))
        }
    }

    static func outcome(_ row: Row) throws -> Outcome {
        let source = try String(contentsOf: try directory().appendingPathComponent(row.file), encoding: .utf8)
        do {
            let parsed = try NetworkSource.parse(source, file: row.file, input: row.input, className: "Net")
            let output = parsed.graph.outputShape?.dims ?? []
            if parsed.totalParameterCount == row.parameters && output == row.output { return .pass }
            return .mismatch("\(parsed.totalParameterCount) parameters, output \(output); PyTorch: \(row.parameters), \(row.output)")
        } catch let e as SourceError {
            return .refused(e)
        }
    }

    func testTableCoversEveryFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: try Self.directory().path).filter { $0.hasSuffix(".py") }
        XCTAssertEqual(Set(files), Set(try Self.table().map(\.file)), "run scripts/construct-table after adding a construct")
        XCTAssertGreaterThanOrEqual(files.count, 150)
    }

    /// Parses every construct; prints the passes and the refusals by category; fails below the floor, on any
    /// parse that disagrees with PyTorch (a wrong network is worse than a refusal) and on any refusal that is not
    /// a clean, located source error (anything else propagates and fails the test).
    func testCoverageDoesNotDrop() throws {
        var passed: [String] = []
        var refused: [String: [String]] = [:]
        for row in try Self.table() {
            switch try Self.outcome(row) {
            case .pass:
                passed.append(row.file)
            case .mismatch(let why):
                XCTFail("\(row.file): parsed with other figures than PyTorch: \(why)")
            case .refused(let error):
                XCTAssertEqual(error.location.file, row.file)
                XCTAssertGreaterThan(error.location.line, 0, row.file)
                refused[row.category, default: []].append("\(error.description) [\(error.kind)]")
            }
        }
        let total = try Self.table().count
        print("construct coverage: \(passed.count)/\(total) parse with PyTorch's parameter count and output shape")
        print("passing: " + passed.joined(separator: " "))
        for (category, errors) in refused.sorted(by: { $0.value.count > $1.value.count }) {
            print("refused \(category) (\(errors.count)):")
            for e in errors { print("  " + e) }
        }
        XCTAssertGreaterThanOrEqual(passed.count, Self.passingFloor, "construct coverage dropped below the floor")
    }
}
