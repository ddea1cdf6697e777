/// The usual NAS-Bench-201 baselines, counted like every table search here (distinct cells; a repeat is
/// drawn again, up to `tries` times, then replaced by a random unseen cell).
public enum NB201Baselines {
    /// Random search: uniformly random distinct cells.
    public static func randomSearch(on table: NB201Table, budget: Int, seed: UInt64,
                                    tries: Int = NB201TableSearch.defaultTries) -> NB201Queries {
        var queries = NB201Queries(table: table)
        var rng = SearchRandom(seed: seed, 0x4A4D)
        while queries.count < budget, queries.queryNew(tries: tries, rng: &rng, NB201Cell.random(rng:)) != nil {}
        return queries
    }

    /// Regularised evolution (Real et al. 2019) as NAS-Bench-201 runs it: a population of `population` random
    /// cells; then per child a tournament of `tournament` members drawn without replacement, the fittest
    /// (highest validation accuracy; the earlier on a tie) mutated on one edge (`NB201Cell.mutated`), the
    /// child appended and the oldest member removed.
    public static func regularizedEvolution(on table: NB201Table, budget: Int, seed: UInt64, population: Int = 50,
                                            tournament: Int = 10, tries: Int = NB201TableSearch.defaultTries) -> NB201Queries {
        var queries = NB201Queries(table: table)
        var rng = SearchRandom(seed: seed, 0x4E45)
        // Oldest first.
        var members: [(cell: NB201Cell, validation: Double)] = []
        while queries.count < budget, members.count < population {
            guard let (cell, r, _) = queries.queryNew(tries: tries, rng: &rng, NB201Cell.random(rng:)) else { return queries }
            members.append((cell, r.validationAccuracy))
        }
        while queries.count < budget {
            let made = queries.queryNew(tries: tries, rng: &rng) { rng in
                let parent = tournamentWinner(members.map(\.validation), size: tournament, rng: &rng)
                return members[parent].cell.mutated(rng: &rng)
            }
            guard let (cell, r, _) = made else { break }
            members.append((cell, r.validationAccuracy))
            members.removeFirst()
        }
        return queries
    }

    /// Index of the fittest of `size` distinct members drawn uniformly (all of them when fewer); ties go to
    /// the member drawn first.
    static func tournamentWinner(_ fitness: [Double], size: Int, rng: inout SearchRandom) -> Int {
        var pool = Array(fitness.indices)
        var best = -1
        for k in 0..<min(size, pool.count) {
            // Partial Fisher-Yates: the k-th draw without replacement.
            let j = k + rng.below(pool.count - k)
            pool.swapAt(k, j)
            if best < 0 || fitness[pool[k]] > fitness[best] { best = pool[k] }
        }
        return best
    }
}
