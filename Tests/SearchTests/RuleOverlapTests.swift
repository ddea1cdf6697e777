import Foundation
import NetIR
import XCTest
@testable import Search

/// Under MPI a rule run overlaps generations (`SearchEngine.overlapsRuleGenerations`, OverlappedGenerations.swift)
/// so a generation's last child does not idle the other workers. The run must stay a function of the seed: three
/// devices finishing children in a shuffled order make the same children and archive as one device. And the
/// overlap must happen: a child of a later generation starts while one of an earlier generation still trains.
final class RuleOverlapTests: XCTestCase {
    /// FakeEvaluator's metrics after a pause: long for the first child of each generation of 4 (ids 4g - 3), so
    /// the next generation often finishes first on the other devices, plus a random part that shuffles the rest.
    final class Shuffled: Evaluator, @unchecked Sendable {
        let inner: FakeEvaluator
        private let lock = NSLock()
        private var running: Set<Int> = []
        /// For every job: its candidate and the candidates training when it started.
        private(set) var starts: [(candidate: Int, alongside: Set<Int>)] = []

        init(devices: Int) { inner = FakeEvaluator(devices: devices) }

        var deviceNames: [String] { inner.deviceNames }

        func evaluate(_ job: EvaluationJob, device: Int) throws(CandidateFailure) -> CandidateMetrics {
            lock.withLock {
                starts.append((job.candidate, running))
                running.insert(job.candidate)
            }
            defer { _ = lock.withLock { running.remove(job.candidate) } }
            Thread.sleep(forTimeInterval: (job.candidate % 4 == 1 ? 0.3 : 0.005) + Double.random(in: 0...0.005))
            return try inner.evaluate(job, device: device)
        }

        func test(_ graph: Graph, weightsPath: String, device: Int) throws(CandidateFailure) -> TestMetrics {
            try inner.test(graph, weightsPath: weightsPath, device: device)
        }

        var log: [(candidate: Int, alongside: Set<Int>)] { lock.withLock { starts } }
    }

    func run(devices: Int) async throws -> (lines: [String], records: [CandidateRecord], starts: [(candidate: Int, alongside: Set<Int>)]) {
        let dir = TestRun.folder("rule-overlap-\(devices)")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let evaluator = Shuffled(devices: devices)
        let engine = try TestRun.engine(dir, config: TestRun.config(evaluations: 30, batch: 4, seed: 3), evaluator: evaluator)
        engine.overlapsRuleGenerations = true
        engine.fillIns = false   // as `llmatic search` sets it without a model: fill-ins depend on timing by design
        let summary = try await engine.run()
        XCTAssertEqual(summary.evaluations, 30)
        let records = TestRun.candidates(dir).sorted { $0.id < $1.id }
        let lines = records.map { "#\($0.id) g\($0.generation) \($0.operation) \($0.parents) \($0.structure ?? "-") \($0.failure?.kind ?? "ok")" }
            + engine.state.networks.ranked.map { "elite #\($0.payload.candidate) \($0.fitness)" }
        return (lines, records, evaluator.log)
    }

    func testOverlappedRuleRunIsTheSameOnOneAndThreeDevices() async throws {
        let one = try await run(devices: 1)
        let three = try await run(devices: 3)
        XCTAssertEqual(one.lines, three.lines)
        // Twice, since a later generation finishing first is likely on three devices, not certain. The long
        // children (0.3 s) leave a slow CI machine ample time to plan the next generation beside them.
        let again = try await run(devices: 3)
        XCTAssertEqual(one.lines, again.lines)
        XCTAssertTrue(one.lines.contains { $0.hasPrefix("elite") })
        // Generations overlapped on three devices: a child started while one of an earlier generation trained.
        let generation = Dictionary(three.records.map { ($0.id, $0.generation) }, uniquingKeysWith: { a, _ in a })
        let overlapped = three.starts.filter { start in
            start.alongside.contains { (generation[$0] ?? .max) < (generation[start.candidate] ?? .min) }
        }
        XCTAssertFalse(overlapped.isEmpty, "no child started beside an earlier generation's: \(three.starts.map(\.candidate))")
        // One device trains one child at a time.
        XCTAssertTrue(one.starts.allSatisfy { $0.alongside.isEmpty })
    }
}
