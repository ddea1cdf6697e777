/// The cells a search has looked up in one table, in order, each at most once. Budgets count distinct cells:
/// a repeat is answered with nil and not counted, so a search pays only for what it has not seen.
public struct NB201Queries: Sendable {
    public let table: NB201Table
    private var seen: [Bool]
    /// Distinct cells queried, in order, with their results.
    public private(set) var cells: [NB201Cell] = []
    public private(set) var results: [NB201Result] = []
    /// After the n-th query (n = index + 1): the test accuracy (%) of the best-validation cell so far. Ties in
    /// validation keep the earlier cell.
    public private(set) var chosenTest: [Double] = []
    /// Repeats answered with nil.
    public private(set) var repeats = 0
    private var bestValidation = -Double.infinity

    public init(table: NB201Table) {
        self.table = table
        seen = [Bool](repeating: false, count: NB201Cell.count)
    }

    public var count: Int { cells.count }

    public func contains(_ cell: NB201Cell) -> Bool { seen[cell.index] }

    /// Looks a new cell up and counts it; nil (not counted) for a cell already queried or missing from the table.
    public mutating func query(_ cell: NB201Cell) -> NB201Result? {
        guard !seen[cell.index] else { repeats += 1; return nil }
        guard let r = table.result(for: cell) else { return nil }
        seen[cell.index] = true
        cells.append(cell)
        results.append(r)
        if r.validationAccuracy > bestValidation || chosenTest.isEmpty {
            bestValidation = r.validationAccuracy
            chosenTest.append(r.testAccuracy)
        } else {
            chosenTest.append(chosenTest[chosenTest.count - 1])
        }
        return r
    }

    /// The chosen cell's test accuracy after `queries` distinct queries (or all there were).
    public func chosenTest(after queries: Int) -> Double? {
        chosenTest.isEmpty ? nil : chosenTest[min(queries, chosenTest.count) - 1]
    }

    /// A uniformly random cell of the table not queried yet (nil when none is left). Bounded: up to 64 uniform
    /// draws (nearly always enough: searches here query a few percent of the space), then one walk over the
    /// unseen cells, which is uniform by itself.
    public func randomUnseen(rng: inout SearchRandom) -> NB201Cell? {
        let left = table.cellCount - cells.count
        guard left > 0 else { return nil }
        for _ in 0..<64 {
            let index = rng.below(NB201Cell.count)
            if !seen[index], table.result(for: NB201Cell(index: index)) != nil { return NB201Cell(index: index) }
        }
        var k = rng.below(left)
        for index in 0..<NB201Cell.count where !seen[index] {
            let cell = NB201Cell(index: index)
            guard table.result(for: cell) != nil else { continue }
            if k == 0 { return cell }
            k -= 1
        }
        return nil
    }

    /// `make` until it gives a cell not queried yet, at most `tries` times; then a random unseen cell. The
    /// result is queried and counted (nil only when the table is exhausted).
    public mutating func queryNew(tries: Int, rng: inout SearchRandom,
                                  _ make: (inout SearchRandom) -> NB201Cell) -> (NB201Cell, NB201Result, fallback: Bool)? {
        for _ in 0..<tries {
            let cell = make(&rng)
            if let r = query(cell) { return (cell, r, false) }
        }
        guard let cell = randomUnseen(rng: &rng), let r = query(cell) else { return nil }
        return (cell, r, true)
    }
}
