import Foundation

/// What `llmatic bench-search` compares on one table.
public enum NB201BenchMethod: Sendable, Hashable, CustomStringConvertible {
    case randomSearch
    case regularizedEvolution
    /// The search's own state machine with this selection algorithm and the rule mutator.
    case search(SearchAlgorithm)

    public var description: String {
        switch self {
        case .randomSearch: return "random search"
        case .regularizedEvolution: return "regularised evolution"
        case .search(let a): return "search --algorithm \(a.rawValue)"
        }
    }
}

/// Mean and standard deviation (n - 1) of the chosen cell's test accuracy over the seeds, per query count.
public struct NB201BenchRow: Sendable {
    public var method: NB201BenchMethod
    public var queries: [Int]
    public var mean: [Double]
    public var sd: [Double]
    /// Per seed, per query count (for tests and further statistics).
    public var runs: [[Double]]
}

/// R seeds of each method on one table, each run once to the largest query count and read off at every
/// count (a run's first q queries are exactly what a run with budget q queries).
public struct NB201Benchmark: Sendable {
    public var repeats: Int
    public var queries: [Int]
    public var firstSeed: UInt64
    /// The search's settings apart from seed and algorithm (niches, batch, initial phase, pools).
    public var base: SearchConfig

    public init(repeats: Int, queries: [Int], firstSeed: UInt64 = 0, base: SearchConfig? = nil) {
        self.repeats = repeats; self.queries = queries.sorted(); self.firstSeed = firstSeed
        self.base = base ?? SearchConfig(data: "nb201")
    }

    /// One method's queries for one seed, up to the largest count.
    public func run(_ method: NB201BenchMethod, on table: NB201Table, skeleton: NB201Skeleton, seed: UInt64) -> NB201Queries {
        run(method, on: table, skeleton: skeleton, seed: seed, empty: nil)
    }

    /// The empty archives of every seed, made once for all tables and algorithms (they depend only on the
    /// seed and the niche counts).
    public func emptyStates() -> [SearchState] {
        let slots = Slots<SearchState>(repeats)
        DispatchQueue.concurrentPerform(iterations: repeats) { i in
            var config = base
            config.seed = firstSeed &+ UInt64(i)
            slots.set(i, SearchState(config: config))
        }
        return slots.values.compactMap { $0 }
    }

    func run(_ method: NB201BenchMethod, on table: NB201Table, skeleton: NB201Skeleton, seed: UInt64,
             empty: SearchState?) -> NB201Queries {
        let budget = queries.last ?? 0
        switch method {
        case .randomSearch: return NB201Baselines.randomSearch(on: table, budget: budget, seed: seed)
        case .regularizedEvolution: return NB201Baselines.regularizedEvolution(on: table, budget: budget, seed: seed)
        case .search(let algorithm):
            var config = base
            config.seed = seed
            config.algorithm = algorithm
            return NB201TableSearch(config: config, skeleton: skeleton).run(on: table, budget: budget, empty: empty).queries
        }
    }

    /// Every seed of `method`, seeds spread over the cores.
    /// `empty`: `emptyStates()`, to share them between calls.
    public func row(_ method: NB201BenchMethod, on table: NB201Table, skeleton: NB201Skeleton,
                    empty: [SearchState]? = nil) -> NB201BenchRow {
        let counts = queries
        let results = Slots<[Double]>(repeats)
        DispatchQueue.concurrentPerform(iterations: repeats) { i in
            let q = run(method, on: table, skeleton: skeleton, seed: firstSeed &+ UInt64(i), empty: empty?[i])
            results.set(i, counts.map { q.chosenTest(after: $0) ?? .nan })
        }
        let runs = results.values.map { $0 ?? [] }
        var mean: [Double] = [], sd: [Double] = []
        for k in counts.indices {
            let xs = runs.map { $0[k] }
            let m = xs.reduce(0, +) / Double(max(xs.count, 1))
            mean.append(m)
            sd.append(xs.count > 1 ? (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot() : 0)
        }
        return NB201BenchRow(method: method, queries: counts, mean: mean, sd: sd, runs: runs)
    }

    /// Per-seed results written from concurrent workers.
    private final class Slots<T>: @unchecked Sendable {
        private var slots: [T?]
        private let lock = NSLock()
        init(_ n: Int) { slots = [T?](repeating: nil, count: n) }
        func set(_ i: Int, _ v: T) { lock.withLock { slots[i] = v } }
        var values: [T?] { lock.withLock { slots } }
    }
}

extension NB201Table {
    /// The oracle: the test accuracy of the cell with the highest validation accuracy (what a search that
    /// queried every cell would report), and the highest test accuracy of any cell.
    public var oracle: (chosenTest: Double, bestTest: Double) {
        var chosen: NB201Result?
        var bestTest = -Double.infinity
        for cell in cells {
            guard let r = result(for: cell) else { continue }
            if chosen.map({ r.validationAccuracy > $0.validationAccuracy }) ?? true { chosen = r }
            bestTest = max(bestTest, r.testAccuracy)
        }
        return (chosen?.testAccuracy ?? .nan, bestTest)
    }
}
