import Foundation
import NetCode
import NetIR
import XCTest
@testable import Search

/// `--space nb201`: the cell mutator, the table evaluator, and a table-backed search that counts distinct cells.
final class NB201SearchTests: XCTestCase {
    static let cifar = TensorShape(channels: 3, height: 32, width: 32)

    /// A table of every cell with made-up results that are easy to check: validation (index mod 97) + 1 and test
    /// 100 - validation, both in percent.
    static func writeTable(_ folder: String, cells: [NB201Cell] = NB201Cell.all) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var entries: [String] = []
        for cell in cells {
            let val = expectedValidation(cell)
            entries.append("\"\(cell)\": {\"val_acc_200\": \(val), \"test_acc_200\": \(100 - val), \"rank\": 1}")
        }
        let path = folder + "/cifar10.json"
        try ("{" + entries.joined(separator: ",\n") + "}").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func expectedValidation(_ cell: NB201Cell) -> Double { Double(cell.index % 97) + 1 }

    func graph(_ cell: NB201Cell, cellsPerStage: Int = 1) throws -> Graph {
        let text = try NB201Network(cell: cell, cellsPerStage: cellsPerStage).source()
        return try NetworkSource.parse(text, file: "net.py", input: Self.cifar).graph
    }

    func testTableEvaluatorLooksCellsUpAndNamesMissingOnes() throws {
        let folder = TestRun.folder("nb201-table").root
        let present = try NB201Cell(string: NB201SpaceSettings.defaultSeedCell)
        let representative = try XCTUnwrap(NB201Recognizer.representative(of: present))
        let missing = try NB201Cell(string: "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|")
        let path = try Self.writeTable(folder, cells: [representative])
        let evaluator = TableEvaluator(table: try NB201Table(contentsOf: path), recognizer: NB201Recognizer(cellsPerStage: 1))
        let metrics = try evaluator.evaluate(EvaluationJob(candidate: 1, graph: try graph(present)), device: 0)
        let val = Self.expectedValidation(representative)
        XCTAssertEqual(metrics.validationAccuracy, val / 100, accuracy: 1e-12)
        XCTAssertEqual(metrics.benchmark, BenchmarkLookup(cell: representative.description, testAccuracy: (100 - val) / 100))
        XCTAssertEqual(try evaluator.test(try graph(present), weightsPath: "", device: 0).accuracy, (100 - val) / 100, accuracy: 1e-12)
        XCTAssertThrowsError(try evaluator.evaluate(EvaluationJob(candidate: 2, graph: try graph(missing)), device: 0)) { error in
            XCTAssertEqual((error as? CandidateFailure)?.kind, "outside-space")
            XCTAssertTrue("\(error)".contains("not in the table"), "\(error)")
        }
        let resnet = try BuiltinNetwork.resnet8.graph(input: Self.cifar)
        XCTAssertThrowsError(try evaluator.evaluate(EvaluationJob(candidate: 3, graph: resnet), device: 0)) { error in
            XCTAssertEqual((error as? CandidateFailure)?.kind, "outside-space")
        }
    }

    /// Every instruction and a crossover give a child whose code computes something new, in the space.
    func testCellMutatorMakesNewCellsForEveryInstruction() throws {
        let space = NB201SpaceSettings(cellsPerStage: 1)
        let mutator = NB201Mutator(space: space, input: Self.cifar, classes: 10)
        let seed = try NB201Network(cell: try NB201Cell(string: NB201SpaceSettings.defaultSeedCell), cellsPerStage: 1).source()
        let other = try NB201Network(cell: try NB201Cell(string: NB201CodeTests.bestCell), cellsPerStage: 1).source()
        let parent = try space.recognizer.cell(source: seed, file: "seed.py", input: Self.cifar)
        for (k, operation) in (MutationInstruction.allCases.map(Variation.mutation) + [.crossover]).enumerated() {
            let request = MutationRequest(operation: operation, parents: [seed, other], temperature: 0.5, seed: UInt64(k))
            let output = try mutator.generateNow(request)
            let child = try space.recognizer.cell(source: output.source, file: "child.py", input: Self.cifar)
            XCTAssertNotEqual(child, parent, "\(operation): \(output.note)")
            XCTAssertEqual(try mutator.generateNow(request).source, output.source, "\(operation) is not reproducible")
        }
    }

    /// A table search with the cell mutator: `evaluations` counts distinct cells, repeats are logged as
    /// duplicates and not counted, fitness is the table's validation accuracy, the summary names the best
    /// cell and its test accuracy, and a resume rebuilds the same counts.
    func testTableSearchCountsDistinctCells() async throws {
        let dir = TestRun.folder("nb201-search")
        let tablePath = try Self.writeTable(dir.root + "-table")
        let space = NB201SpaceSettings(cellsPerStage: 1, benchmark: tablePath)
        var config = SearchConfig(data: "table", seed: 3, evaluations: 20, batch: 4, niches: 20, promptNiches: 20,
                                  initialNetworks: 5, seedNetwork: "nb201", input: Self.cifar.dims, classes: 10)
        config.space = space
        config.limits = SearchLimits(maxFlops: 1_000_000_000, maxActivations: 8_000_000)
        let codec = NetworkCodec.nb201(input: Self.cifar, classes: 10, space: space)
        let seedSource = try space.network(try NB201Cell(string: NB201SpaceSettings.defaultSeedCell), input: Self.cifar, classes: 10).source()
        let evaluator = TableEvaluator(table: try NB201Table(contentsOf: tablePath), recognizer: space.recognizer)
        let engine = try SearchEngine(config: config, directory: dir, seedSource: seedSource,
                                      mutator: NB201Mutator(space: space, input: Self.cifar, classes: 10),
                                      checker: CandidateChecker(codec: codec, classes: 10, limits: config.limits),
                                      evaluator: evaluator, resume: false)
        let summary = try await engine.run()
        XCTAssertEqual(summary.evaluations, 20)
        let duplicates = SearchEngine.repeatedCellIDs(dir.eventsPath)
        let counted = TestRun.candidates(dir).filter { !duplicates.contains($0.id) }
        XCTAssertEqual(counted.count, 20)
        let cells = counted.compactMap { $0.metrics?.benchmark?.cell }
        XCTAssertEqual(Set(cells).count, cells.count, "a cell was counted twice")
        for record in TestRun.candidates(dir) where duplicates.contains(record.id) {
            XCTAssertTrue(cells.contains(record.metrics?.benchmark?.cell ?? "?"), "duplicate \(record.id) repeats no counted cell")
        }
        for record in counted {
            guard let lookup = record.metrics?.benchmark, let m = record.metrics else { continue }
            XCTAssertEqual(m.validationAccuracy, Self.expectedValidation(try NB201Cell(string: lookup.cell)) / 100, accuracy: 1e-12)
        }
        let bestCell = try NB201Cell(string: try XCTUnwrap(summary.best_cell))
        XCTAssertEqual(try XCTUnwrap(summary.best_accuracy), Self.expectedValidation(bestCell) / 100, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(summary.best_test_accuracy), (100 - Self.expectedValidation(bestCell)) / 100, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(summary.best_accuracy), counted.compactMap { $0.metrics?.validationAccuracy }.max() ?? -1, accuracy: 1e-12)
        let replayed = SearchEngine.replay(directory: dir, config: config)
        XCTAssertEqual(replayed.evaluations, 20)
        XCTAssertEqual(Set(SearchEngine.queriedCells(dir.eventsPath).keys), Set(cells))
        print("NB201 table search: \(summary.evaluations) distinct cells, \(duplicates.count) duplicates skipped, \(summary.generations) generations, \(String(format: "%.1f", summary.seconds)) s")

        // Resumed with a larger budget: the cells looked up before still count as seen.
        config.evaluations = 30
        let resumed = try SearchEngine(config: config, directory: dir, seedSource: nil,
                                       mutator: NB201Mutator(space: space, input: Self.cifar, classes: 10),
                                       checker: CandidateChecker(codec: codec, classes: 10, limits: config.limits),
                                       evaluator: evaluator, resume: true)
        XCTAssertEqual(resumed.state.evaluations, 20)
        // (LLMatic's selection can exhaust its parents' neighbourhoods before 30; the run then stops after
        // `maxGenerationsWithoutNewCells`, so the budget is an upper bound here.)
        let more = try await resumed.run()
        XCTAssertGreaterThan(more.evaluations, 20)
        XCTAssertLessThanOrEqual(more.evaluations, 30)
        let allDuplicates = SearchEngine.repeatedCellIDs(dir.eventsPath)
        let allCells = TestRun.candidates(dir).filter { !allDuplicates.contains($0.id) }.compactMap { $0.metrics?.benchmark?.cell }
        XCTAssertEqual(allCells.count, more.evaluations)
        XCTAssertEqual(Set(allCells).count, allCells.count, "a cell was counted twice across the resume")
    }

    /// config.json from before `space` existed still decodes (as a free-form run); a space survives a round trip.
    func testConfigWithoutSpaceStillDecodes() throws {
        var config = TestRun.config()
        let old = try JSONEncoder().encode(config)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: old) as? [String: Any])
        object.removeValue(forKey: "space")
        XCTAssertNil(try JSONDecoder().decode(SearchConfig.self, from: JSONSerialization.data(withJSONObject: object)).space)
        config.space = NB201SpaceSettings(cellsPerStage: 2, benchmark: "t.json")
        XCTAssertEqual(try JSONDecoder().decode(SearchConfig.self, from: JSONEncoder().encode(config)).space, config.space)
    }
}
