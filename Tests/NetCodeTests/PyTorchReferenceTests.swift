import Foundation
import XCTest
import NetIR
@testable import NetCode

/// Recomputes parameter counts, parameter names and output shapes with real PyTorch, for every corpus network
/// and for the source we emit from it. Skipped where `python3 -c 'import torch'` fails.
final class PyTorchReferenceTests: XCTestCase {
    /// Runs each job's file with runpy (so `if __name__ == "__main__"` blocks stay idle), instantiates the class,
    /// and reports what PyTorch sees. One JSON line out.
    static let script = """
    import json, runpy, sys
    import torch
    results = []
    for job in json.load(open(sys.argv[1])):
        try:
            net = runpy.run_path(job["path"])[job["class"]]()
            net.eval()
            with torch.no_grad():
                out = net(torch.zeros(2, *job["input"]))
            results.append({"params": sum(p.numel() for p in net.parameters()),
                            "names": [n for n, _ in net.named_parameters()],
                            "output": list(out.shape[1:])})
        except Exception as e:
            results.append({"error": repr(e)})
    print(json.dumps(results))
    """

    struct Job: Codable {
        let path: String
        let `class`: String
        let input: [Int]
    }

    struct Outcome: Codable {
        let params: Int?
        let names: [String]?
        let output: [Int]?
        let error: String?
    }

    func testPyTorchAgreesWithCorpusAndEmittedSource() throws {
        try Self.requireTorch()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("netcode-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        var jobs: [Job] = []
        var parsed: [ParsedNetwork] = []
        for entry in Corpus.entries {
            let network = try Corpus.parse(entry)
            parsed.append(network)
            let emitted = work.appendingPathComponent(entry.name + "_emitted.py")
            try NetworkSource.emit(network.graph).write(to: emitted, atomically: true, encoding: .utf8)
            jobs.append(Job(path: try Corpus.url(entry).path, class: entry.className, input: entry.input.dims))
            jobs.append(Job(path: emitted.path, class: "Net", input: entry.input.dims))
        }
        let jobsFile = work.appendingPathComponent("jobs.json")
        try JSONEncoder().encode(jobs).write(to: jobsFile)
        let scriptFile = work.appendingPathComponent("reference.py")
        try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)

        let output = try Self.run(["python3", scriptFile.path, jobsFile.path], timeout: 300)
        let outcomes = try JSONDecoder().decode([Outcome].self, from: Data(output.utf8))
        XCTAssertEqual(outcomes.count, jobs.count)
        for (k, entry) in Corpus.entries.enumerated() where 2 * k + 1 < outcomes.count {
            let original = outcomes[2 * k], emitted = outcomes[2 * k + 1], ours = parsed[k]
            XCTAssertNil(original.error, "\(entry.name): \(original.error ?? "")")
            XCTAssertNil(emitted.error, "\(entry.name) emitted: \(emitted.error ?? "")")
            XCTAssertEqual(original.params, ours.totalParameterCount, entry.name)
            XCTAssertEqual(original.params, entry.parameters, "\(entry.name): the table is stale")
            XCTAssertEqual(original.output, ours.graph.outputShape?.dims, entry.name)
            XCTAssertEqual(Set(original.names ?? []), Set((ours.graph.parameters + ours.unusedParameters).map(\.name)), entry.name)
            XCTAssertEqual(emitted.params, ours.graph.parameterCount, "\(entry.name) emitted")
            XCTAssertEqual(emitted.output, ours.graph.outputShape?.dims, "\(entry.name) emitted")
            // Same names; the order may differ (the graph lists parameters in call order, PyTorch in registration order).
            XCTAssertEqual(Set(emitted.names ?? []), Set(ours.graph.parameters.map(\.name)), "\(entry.name) emitted")
        }
    }

    /// The construct table (Constructs/expected.tsv, read by ConstructCoverageTests) is what PyTorch says.
    func testConstructTableAgreesWithPyTorch() throws {
        try Self.requireTorch()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/construct-table").standardized
        let output = try Self.run(["python3", script.path, "--check"], timeout: 600)
        XCTAssertTrue(output.contains("expected.tsv agrees with PyTorch"), output)
    }

    static func requireTorch() throws {
        let ok = (try? Self.run(["python3", "-c", "import torch"], timeout: 120)) != nil
        if !ok { throw XCTSkip("python3 with PyTorch is not available; the corpus table holds counts from PyTorch 2.15") }
    }

    /// Runs a command, returning stdout; throws on a non-zero exit or when it outlives `timeout` seconds.
    static func run(_ arguments: [String], timeout: TimeInterval) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let collected = OutputCollector()
        let reader = Thread { collected.stdout = out.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let errorText = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            throw XCTSkip("\(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        while !collected.done { Thread.sleep(forTimeInterval: 0.01) }
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "python", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: String(decoding: errorText, as: UTF8.self)])
        }
        return String(decoding: collected.stdout, as: UTF8.self)
    }

    final class OutputCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var finished = false
        var stdout: Data {
            get { lock.withLock { data } }
            set { lock.withLock { data = newValue; finished = true } }
        }
        var done: Bool { lock.withLock { finished } }
    }
}
