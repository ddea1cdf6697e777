/// The search's own state machine (`SearchState.plan` and `apply`: both archives, curiosity, temperatures,
/// the initial phase, the configured algorithm) run in memory on a NAS-Bench-201 table: a child is its
/// parent's cell edited by the planned instruction (`NB201Cell.edited(by:rng:)`) or two parents' cells crossed
/// (`NB201Cell.crossover`), and is evaluated by looking it up (fitness: `val_acc_200` as a fraction; the test
/// accuracy is recorded for the report only). The seed (candidate 0) is a uniformly random cell.
///
/// Budgets count distinct cells: a child that repeats a queried cell is made again (same plan, fresh random
/// draws) up to `tries` times and then replaced by a random unseen cell, so every planned child is one new query.
public struct NB201TableSearch {
    public var config: SearchConfig
    public let skeleton: NB201Skeleton
    /// Attempts per planned child before it falls back to a random unseen cell.
    public var tries: Int

    public init(config: SearchConfig, skeleton: NB201Skeleton, tries: Int = NB201TableSearch.defaultTries) {
        self.config = config; self.skeleton = skeleton; self.tries = tries
    }

    public static let defaultTries = 50

    /// Runs until `budget` distinct cells are queried; returns the queries and the final state. `empty`, when
    /// given, is `SearchState(config: config)` made beforehand (the CVT centroids take most of a short run).
    public func run(on table: NB201Table, budget: Int, empty: SearchState? = nil) -> (queries: NB201Queries, state: SearchState) {
        var queries = NB201Queries(table: table)
        var state = empty ?? SearchState(config: config)
        var cells: [Int: NB201Cell] = [:]
        var seedRNG = SearchRandom(seed: config.seed, 0x5EED)
        guard budget > 0, let seed = queries.queryNew(tries: tries, rng: &seedRNG, NB201Cell.random(rng:)) else {
            return (queries, state)
        }
        cells[0] = seed.0
        var seedRecord = record(ChildPlan(id: 0, generation: 0, operation: .seed, parents: [], temperature: 0),
                                cell: seed.0, result: seed.1)
        state.apply(&seedRecord)
        var generation = 1
        var nextID = 1
        while queries.count < budget {
            let count = min(config.batch, budget - queries.count)
            // Planned from the archives as they stand at the start of the generation, applied in id order.
            let plans = state.plan(generation: generation, count: count, firstID: nextID, config: config)
            var records: [CandidateRecord] = []
            for plan in plans {
                var rng = SearchRandom(seed: config.seed, 0xC41D, UInt64(plan.id))
                let parents = plan.parents.compactMap { cells[$0] }
                guard let child = queries.queryNew(tries: tries, rng: &rng, { rng in
                    Self.make(plan.operation, parents: parents, rng: &rng)
                }) else { break }
                cells[plan.id] = child.0
                var r = record(plan, cell: child.0, result: child.1)
                if child.fallback { r.note = "\(child.0) (a random unseen cell: \(tries) tries repeated queried cells)" }
                records.append(r)
            }
            if records.isEmpty { break }
            for i in records.indices { state.apply(&records[i]) }
            nextID += plans.count
            generation += 1
        }
        return (queries, state)
    }

    /// The child cell of a plan: an instruction's edit of the first parent, or a crossover of both.
    static func make(_ operation: Variation, parents: [NB201Cell], rng: inout SearchRandom) -> NB201Cell {
        guard let first = parents.first else { return NB201Cell.random(rng: &rng) }
        switch operation {
        case .mutation(let instruction): return first.edited(by: instruction, rng: &rng).0
        case .crossover: return NB201Cell.crossover(first, parents.count > 1 ? parents[1] : first, rng: &rng)
        case .seed: return first
        }
    }

    /// The record `apply` takes, as a trained child's would be: metrics, fitness, cost and descriptor. The
    /// table has no loss; 1 - accuracy stands in, so `--fitness loss` ranks cells as accuracy does.
    func record(_ plan: ChildPlan, cell: NB201Cell, result: NB201Result) -> CandidateRecord {
        var r = CandidateRecord(id: plan.id, generation: plan.generation, operation: plan.operation,
                                parents: plan.parents, temperature: plan.temperature)
        let accuracy = result.validationAccuracy / 100
        r.metrics = CandidateMetrics(validationAccuracy: accuracy, validationLoss: 1 - accuracy, epochs: 200)
        r.fitness = config.fitness.fitness(accuracy: accuracy, loss: 1 - accuracy)
        let cost = cell.networkCost(skeleton)
        r.cost = CostSummary(cost)
        r.descriptor = config.descriptors.descriptor(cost)
        r.note = cell.description
        return r
    }
}
