/// With a language model, the trainer must not wait while the model writes. In step (`runGeneration`), a
/// generation's children are generated and trained, and the next generation is planned only once all of them
/// are in: while the model writes the last children, the trainer idles, and while the trainer works, the model
/// idles. Overlapped, up to `generationsInFlight` generations run at once: generation g+1 is planned (and its
/// prompts sent) as soon as generation g has started, from the archives as they stood after g-1. The archives
/// stay deterministic for a given sequence of replies: plans depend only on applied generations, duplicates are
/// decided in candidate order (`CandidateTurns` chained across generations), and each generation's records are
/// applied in candidate order once all of them are in. The price is one generation of lag in selection.
extension SearchEngine {
    static let generationsInFlight = 2

    /// Returns the last generation planned.
    func runOverlapped(from first: Int) async throws(SearchError) -> Int {
        struct InFlight {
            let generation: Int
            let plans: [ChildPlan]
            let turns: CandidateTurns
            let results: Task<[Int: CandidateRecord], Never>
        }
        var queue: [InFlight] = []
        var generation = first
        var nextID = max(state.maxCandidate, directory.candidateFolders().last ?? 0) + 1
        var barren = 0
        while true {
            let unapplied = queue.reduce(0) { $0 + $1.plans.count }
            if queue.count < Self.generationsInFlight, barren < barrenLimit,
               let count = childrenFor(generation: generation, inFlight: unapplied), count > 0 {
                let plans = state.plan(generation: generation, count: count, firstID: nextID, config: config)
                nextID = (plans.map(\.id).max() ?? nextID) + 1
                let turns = CandidateTurns(order: plans.map(\.id), after: queue.last?.turns)
                children.setExamples(state.networks.ranked.map(\.payload.candidate), generation: generation)
                let results = Task { await self.makeChildren(plans, turns: turns) }
                queue.append(InFlight(generation: generation, plans: plans, turns: turns, results: results))
                generation += 1
                continue
            }
            guard !queue.isEmpty else { break }
            let head = queue.removeFirst()
            let finished = await head.results.value
            let before = state.evaluations
            for id in head.plans.map(\.id).sorted() {
                if var r = finished[id], !skipIfRepeatedCell(r) { apply(&r) }
            }
            try closeGeneration(head.generation)
            barren = state.evaluations == before ? barren + 1 : 0
            if barren == barrenLimit { warn("\(barren) generations in a row made only duplicates; stopping") }
        }
        return generation - 1
    }

    /// One generation's children, concurrently; each record is logged as it finishes (nil ones were duplicates).
    func makeChildren(_ plans: [ChildPlan], turns: CandidateTurns) async -> [Int: CandidateRecord] {
        await withTaskGroup(of: (Int, CandidateRecord?).self) { group in
            for plan in plans {
                group.addTask { (plan.id, await self.makeChild(plan, source: nil, turns: turns)) }
            }
            var finished: [Int: CandidateRecord] = [:]
            for await (id, record) in group {
                guard let record else { continue }
                log(record)
                finished[id] = record
            }
            return finished
        }
    }
}
