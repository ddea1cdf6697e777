// `llmatic bench-search`: the search against random search and regularised evolution on NAS-Bench-201
// tables, many seeds in seconds (every evaluation is a table lookup).
import Foundation
import Search

enum BenchSearchCommand: Command {
    static let name = "bench-search"
    static let summary = "compare the search with random search and regularised evolution on NAS-Bench-201 tables"

    static let defaultBenchmarks = "../shared/nb201/cifar10.json,../shared/nb201/cifar100.json,../shared/nb201/imagenet16-120.json"
    static let algorithmChoices = ["both"] + SearchAlgorithm.allCases.map(\.rawValue)

    static let options: [OptionSpec] = [
        OptionSpec("benchmark", "PATH[,PATH...]", "NAS-Bench-201 tables (JSON: cell string -> val_acc_200, test_acc_200); the skeleton is taken from the file name (cifar10, cifar100, imagenet16-120; others: 32x32, 10 classes)",
                   default: defaultBenchmarks),
        OptionSpec("repeats", "R", "seeds per method", default: "50"),
        OptionSpec("queries", "N[,N...]", "distinct cells queried at which the chosen cell is read off", default: "50,100,200,500"),
        OptionSpec("algorithm", "NAME", "the search's selection algorithm(s) to run beside the baselines",
                   choices: algorithmChoices, default: "both"),
        OptionSpec("seed", "S", "first seed; seeds S ... S+R-1", default: "0"),
        OptionSpec("niches", "N", "niches of each archive of the search", default: "100"),
        OptionSpec("initial", "N", "networks in the search's archive before selection starts", default: "10"),
        OptionSpec("batch", "K", "children per generation of the search", default: "4"),
        OptionSpec("json", nil, "print one JSON object with every figure as the last line of stdout"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic bench-search [--benchmark PATH[,PATH...]] [--repeats R] [--queries N,...] [--algorithm NAME] [--json]",
                            summary: """
                            Runs R seeds of random search, regularised evolution (population 50, tournament 10, one-edge mutation) \
                            and the search (SearchState's archives, prompts, curiosity and temperatures, rule edits of the cell) on \
                            each table, and prints per query count the mean +- sd of the test accuracy (%) of the cell with the best \
                            validation accuracy among the distinct cells queried (repeats are not counted). The oracle line is the \
                            best-validation cell of the whole table. Test accuracy is never used for selection.
                            """,
                            options: options,
                            notes: """
                            examples:
                              llmatic bench-search
                              llmatic bench-search --benchmark ../shared/nb201/cifar100.json --repeats 200 --queries 100,200
                              llmatic bench-search --algorithm llmatic --json
                            """)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        let paths = (args.string("benchmark") ?? defaultBenchmarks).split(separator: ",").map(String.init)
        guard !paths.isEmpty else { throw UsageError("--benchmark needs at least one PATH") }
        let repeats = try args.int("repeats", default: 50, minimum: 1)
        let queries = try parseQueries(args.string("queries") ?? "50,100,200,500")
        let algorithms: [SearchAlgorithm] = {
            let name = args.string("algorithm") ?? "both"
            return SearchAlgorithm(rawValue: name).map { [$0] } ?? SearchAlgorithm.allCases
        }()
        var base = SearchConfig(data: "nb201")
        base.niches = try args.int("niches", default: 100, minimum: 1, maximum: SearchConfig.maxNiches)
        base.promptNiches = base.niches
        base.initialNetworks = try args.int("initial", default: 10, minimum: 1)
        base.batch = try args.int("batch", default: 4, minimum: 1)
        let bench = NB201Benchmark(repeats: repeats, queries: queries, firstSeed: try args.uint64("seed", default: 0), base: base)
        let json = args.flag("json")
        let methods: [NB201BenchMethod] = [.randomSearch, .regularizedEvolution] + algorithms.map { .search($0) }
        let clock = Date()
        let empty = algorithms.isEmpty ? [] : bench.emptyStates()
        var tables: [JSON] = []
        for path in paths {
            let table: NB201Table
            do { table = try NB201Table(contentsOf: path) } catch { throw Failure("--benchmark: \(error)") }
            let skeleton = NB201Skeleton.benchmark(table.name) ?? NB201Skeleton()
            let oracle = table.oracle
            let start = Date()
            let rows = methods.map { bench.row($0, on: table, skeleton: skeleton, empty: empty) }
            let seconds = Date().timeIntervalSince(start)
            print(render(table: table, rows: rows, queries: queries, oracle: oracle, repeats: repeats, seconds: seconds))
            Console.flush()
            tables.append(.object([
                ("table", .string(table.name)), ("path", .string(path)), ("repeats", .int(repeats)),
                ("queries", .array(queries.map { .int($0) })),
                ("oracle_test_accuracy", .number(oracle.chosenTest)), ("best_test_accuracy", .number(oracle.bestTest)),
                ("methods", .array(rows.map { row in
                    .object([("method", .string(key(row.method))),
                             ("mean", .array(row.mean.map { .number($0) })), ("sd", .array(row.sd.map { .number($0) }))])
                })),
                ("seconds", .number(seconds)),
            ]))
        }
        let total = Date().timeIntervalSince(clock)
        print(String(format: "%d table(s), %d seeds per method, %.1f s", paths.count, repeats, total))
        if json { print(JSON.object([("tables", .array(tables)), ("seconds", .number(total))]).text) }
        return 0
    }

    static func parseQueries(_ text: String) throws(UsageError) -> [Int] {
        var counts: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 1, n <= 15_625 else {
                throw UsageError("invalid value '\(part)' in --queries: expected whole numbers 1...15625, comma-separated")
            }
            counts.append(n)
        }
        return Array(Set(counts)).sorted()
    }

    /// A stable name for JSON.
    static func key(_ method: NB201BenchMethod) -> String {
        switch method {
        case .randomSearch: return "random"
        case .regularizedEvolution: return "regularized-evolution"
        case .search(let a): return a.rawValue
        }
    }

    static func render(table: NB201Table, rows: [NB201BenchRow], queries: [Int], oracle: (chosenTest: Double, bestTest: Double),
                       repeats: Int, seconds: Double) -> String {
        let label = 34
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func left(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var lines = ["\(table.name) (\(table.path)): test accuracy (%) of the best-validation cell, mean +- sd of \(repeats) seeds",
                     pad("queries", label) + queries.map { left(String($0), 16) }.joined()]
        for row in rows {
            lines.append(pad(row.method.description, label)
                         + zip(row.mean, row.sd).map { left(String(format: "%.2f +- %.2f", $0, $1), 16) }.joined())
        }
        lines.append(pad("oracle (best validation)", label) + left(String(format: "%.2f", oracle.chosenTest), 16)
                     + String(format: "   (highest test in the table: %.2f)", oracle.bestTest))
        lines.append(String(format: "%.1f s", seconds))
        return lines.joined(separator: "\n")
    }
}
