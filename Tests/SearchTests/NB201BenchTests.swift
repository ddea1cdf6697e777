import Foundation
import NetIR
import XCTest
@testable import Search

/// NB201Cost against an independently built NetIR graph, the table searches' query counting, determinism and
/// the baselines' rules, on a synthetic table (no shared files needed).
final class NB201BenchTests: XCTestCase {
    static let best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"

    // MARK: cost

    /// The benchmark's network written out layer by layer with NetworkBuilder, as PyTorch's TinyNetwork runs it.
    static func referenceGraph(_ cell: NB201Cell, _ s: NB201Skeleton) throws -> Graph {
        var b = NetworkBuilder(input: TensorShape(channels: 3, height: s.imageSize, width: s.imageSize))
        var n = 0
        func name(_ p: String) -> String { n += 1; return "\(p)\(n)" }
        var x = try b.conv2d(name("stem"), b.input, out: s.channels, kernel: 3, padding: 1, bias: false)
        x = try b.batchNorm(name("stembn"), x)
        var c = s.channels
        for stage in 0..<3 {
            if stage > 0 {
                var a = try b.relu(name("ra"), x)
                a = try b.conv2d(name("ca"), a, out: 2 * c, kernel: 3, stride: 2, padding: 1, bias: false)
                a = try b.batchNorm(name("ba"), a)
                a = try b.relu(name("rb"), a)
                a = try b.conv2d(name("cb"), a, out: 2 * c, kernel: 3, padding: 1, bias: false)
                a = try b.batchNorm(name("bb"), a)
                var r = try b.avgPool(name("ds"), x, kernel: 2, stride: 2)
                r = try b.conv2d(name("dc"), r, out: 2 * c, kernel: 1, bias: false)
                x = try b.addValues(name("res"), r, a)
                c *= 2
            }
            for _ in 0..<s.cellsPerStage {
                var values: [NetworkBuilder.Value?] = [x, nil, nil, nil]
                for j in 1..<4 {
                    var terms: [NetworkBuilder.Value] = []
                    for i in 0..<j {
                        guard let v = values[i] else { continue }
                        switch cell.op(to: j, from: i) {
                        case .none: continue
                        case .skipConnect: terms.append(try b.add(name("id"), .identity, [v]))
                        case .avgPool3x3: terms.append(try b.avgPool(name("pool"), v, kernel: 3, stride: 1, padding: 1))
                        case .conv1x1, .conv3x3:
                            let k = cell.op(to: j, from: i) == .conv3x3 ? 3 : 1
                            var t = try b.relu(name("r"), v)
                            t = try b.conv2d(name("c"), t, out: c, kernel: k, padding: k / 2, bias: false)
                            terms.append(try b.batchNorm(name("bn"), t))
                        }
                    }
                    guard var sum = terms.first else { continue }
                    for t in terms.dropFirst() { sum = try b.addValues(name("add"), sum, t) }
                    values[j] = sum
                }
                x = try XCTUnwrap(values[3], "reference graphs are built for connected cells only")
            }
        }
        x = try b.batchNorm(name("lastbn"), x)
        x = try b.relu(name("lastrelu"), x)
        x = try b.globalAvgPool(name("gap"), x)
        x = try b.flatten(name("flat"), x)
        let logits = try b.linear(name("fc"), x, out: s.classes)
        return try b.build(output: logits)
    }

    func testClosedFormCostEqualsNetIRGraphCost() throws {
        var cells = try [Self.best, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                         "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|",
                         // Node 1 has a value but does not reach the output; node 2 has none.
                         "|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|",
                         "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|skip_connect~2|"].map { try NB201Cell(string: $0) }
        var rng = SearchRandom(seed: 11)
        while cells.count < 25 {
            let c = NB201Cell.random(rng: &rng)
            if c.isConnected { cells.append(c) }
        }
        for skeleton in ["cifar10", "cifar100", "imagenet16-120"].compactMap(NB201Skeleton.benchmark) {
            for cell in cells {
                let reference = try Self.referenceGraph(cell, skeleton).cost()
                XCTAssertEqual(cell.networkCost(skeleton), reference, "\(cell) on \(skeleton)")
            }
        }
        // Hand check: all 3x3 convolutions on CIFAR-10 is NAS-Bench-201's largest network, 1,531,546 parameters.
        let all3x3 = NB201Cell(ops: [NB201Op](repeating: .conv3x3, count: 6))
        XCTAssertEqual(all3x3.networkCost(NB201Skeleton(imageSize: 32, classes: 10)).parameters, 1_531_546)
        XCTAssertEqual(all3x3.networkCost(NB201Skeleton()).depth, 1 + 15 * 3 + 4 + 1)
        // Disconnected: the cells' own edges still count, the path restarts after the last cell.
        let cut = try NB201Cell(string: "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
        let cost = cut.networkCost(NB201Skeleton())
        let empty = NB201Cell(ops: [NB201Op](repeating: .none, count: 6)).networkCost(NB201Skeleton())
        XCTAssertEqual(cost.depth, 1)
        XCTAssertEqual(cost.parameters - empty.parameters, 5 * (9 * 16 * 16 + 32) + 5 * (9 * 32 * 32 + 64) + 5 * (9 * 64 * 64 + 128))
    }

    // MARK: tables

    /// A table of `cells` cells (all when nil) with a made-up validation accuracy that rewards 3x3 convolutions
    /// and a test accuracy offset from it, written as the benchmark's JSON.
    static func syntheticTable(cells: Int? = nil, name: String = "cifar10") throws -> NB201Table {
        let dir = NSTemporaryDirectory() + "nb201-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/\(name).json"
        var parts: [String] = []
        for index in 0..<(cells ?? NB201Cell.count) {
            let cell = NB201Cell(index: index)
            let convs = cell.ops.filter { $0 == .conv3x3 }.count
            let val = cell.isConnected ? 60 + 5 * Double(convs) + Double(index % 97) / 50 : 10
            parts.append("\"\(cell)\": {\"val_acc_200\": \(val), \"test_acc_200\": \(val + Double(index % 7) / 10 - 0.3)}")
        }
        try Data(("{" + parts.joined(separator: ", ") + "}").utf8).write(to: URL(fileURLWithPath: path))
        return try NB201Table(contentsOf: path)
    }

    static let table = Result { try syntheticTable() }

    func searchConfig(_ algorithm: SearchAlgorithm, seed: UInt64) -> SearchConfig {
        var c = SearchConfig(data: "nb201", seed: seed)
        c.algorithm = algorithm
        return c
    }

    func testEveryMethodQueriesExactlyTheBudgetOfDistinctCells() throws {
        let table = try Self.table.get()
        let budget = 300
        var runs: [(String, NB201Queries)] = [
            ("random", NB201Baselines.randomSearch(on: table, budget: budget, seed: 1)),
            ("re", NB201Baselines.regularizedEvolution(on: table, budget: budget, seed: 1)),
        ]
        for a in SearchAlgorithm.allCases {
            let (q, state) = NB201TableSearch(config: searchConfig(a, seed: 1), skeleton: NB201Skeleton()).run(on: table, budget: budget)
            XCTAssertEqual(state.evaluations, budget, "\(a): every applied candidate is one distinct query")
            XCTAssertGreaterThan(q.repeats, 0, "\(a): the local search proposes repeats, which must be skipped")
            runs.append((a.rawValue, q))
        }
        for (name, q) in runs {
            XCTAssertEqual(q.count, budget, name)
            XCTAssertEqual(Set(q.cells).count, budget, "\(name): a cell was counted twice")
            // The chosen cell is the best validation so far, reported by its test accuracy.
            let best = q.results.indices.max { q.results[$0].validationAccuracy < q.results[$1].validationAccuracy || (q.results[$0].validationAccuracy == q.results[$1].validationAccuracy && $0 > $1) }!
            XCTAssertEqual(q.chosenTest(after: budget), q.results[best].testAccuracy, name)
        }
    }

    func testRepeatsAreNeverCountedAndExhaustionEnds() throws {
        let table = try Self.table.get()
        var q = NB201Queries(table: table)
        let cell = try NB201Cell(string: Self.best)
        XCTAssertNotNil(q.query(cell))
        XCTAssertNil(q.query(cell))
        XCTAssertEqual(q.count, 1)
        XCTAssertEqual(q.repeats, 1)
        // A table of 40 cells: a budget of 100 ends at 40 distinct cells instead of looping.
        let small = try Self.syntheticTable(cells: 40)
        for a in SearchAlgorithm.allCases {
            let run = NB201TableSearch(config: searchConfig(a, seed: 2), skeleton: NB201Skeleton()).run(on: small, budget: 100)
            XCTAssertEqual(run.queries.count, 40)
        }
        XCTAssertEqual(NB201Baselines.regularizedEvolution(on: small, budget: 100, seed: 2).count, 40)
        XCTAssertEqual(NB201Baselines.randomSearch(on: small, budget: 100, seed: 2).count, 40)
    }

    func testRunsAreDeterministicPerSeed() throws {
        let table = try Self.table.get()
        for a in SearchAlgorithm.allCases {
            let run = { (seed: UInt64) in
                NB201TableSearch(config: self.searchConfig(a, seed: seed), skeleton: NB201Skeleton()).run(on: table, budget: 120).queries.cells
            }
            XCTAssertEqual(run(5), run(5), "\(a)")
            XCTAssertNotEqual(run(5), run(6), "\(a)")
        }
        XCTAssertEqual(NB201Baselines.regularizedEvolution(on: table, budget: 120, seed: 5).cells,
                       NB201Baselines.regularizedEvolution(on: table, budget: 120, seed: 5).cells)
        XCTAssertNotEqual(NB201Baselines.randomSearch(on: table, budget: 120, seed: 5).cells,
                          NB201Baselines.randomSearch(on: table, budget: 120, seed: 6).cells)
    }

    func testRegularizedEvolutionRules() throws {
        let table = try Self.table.get()
        let q = NB201Baselines.regularizedEvolution(on: table, budget: 400, seed: 3)
        // After the 50 random members, every child is one edge from a member of the population of its time:
        // the 50 cells queried just before it (the oldest is removed per child).
        var oneEdge = 0
        for k in 50..<q.count {
            let population = q.cells[(k - 50)..<k]
            if population.contains(where: { p in zip(p.ops, q.cells[k].ops).filter { $0 != $1 }.count == 1 }) { oneEdge += 1 }
        }
        XCTAssertEqual(oneEdge, q.count - 50, "children are one-edge mutations of the current population")
        // Tournament: the fittest of `size` distinct members.
        var rng = SearchRandom(seed: 9)
        let fitness = (0..<50).map { Double(($0 * 37) % 50) }
        XCTAssertEqual(NB201Baselines.tournamentWinner(fitness, size: 50, rng: &rng), fitness.firstIndex(of: 49))
        var wins = [Int](repeating: 0, count: 50)
        for _ in 0..<20_000 { wins[Int(fitness[NB201Baselines.tournamentWinner(fitness, size: 10, rng: &rng)])] += 1 }
        // P(winner has rank r from the top, r = 0...) = C(49 - r, 9) / C(50, 10): rank 0 wins 1/5 of the time;
        // fitness below 9 can never win (nine better members are always drawn with it).
        XCTAssertEqual(Double(wins[49]) / 20_000, 0.2, accuracy: 0.015)
        XCTAssertEqual(wins[0..<9].reduce(0, +), 0)
    }

    func testBenchmarkReadsRunsOffAtEachCount() throws {
        let table = try Self.table.get()
        let bench = NB201Benchmark(repeats: 3, queries: [60, 20])
        let row = bench.row(.regularizedEvolution, on: table, skeleton: NB201Skeleton())
        XCTAssertEqual(row.queries, [20, 60])
        for (i, run) in row.runs.enumerated() {
            let q = NB201Baselines.regularizedEvolution(on: table, budget: 20, seed: UInt64(i))
            XCTAssertEqual(run[0], q.chosenTest(after: 20))
        }
        let mean = row.runs.map { $0[1] }.reduce(0, +) / 3
        XCTAssertEqual(row.mean[1], mean, accuracy: 1e-9)
    }
}
