import Foundation

/// With a language model, the trainer must not wait while the model writes. In step (`runGeneration`), a
/// generation's children are generated and trained, and the next generation is planned only once all of them
/// are in: while the model writes the last children, the trainer idles, and while the trainer works, the model
/// idles. Overlapped, up to `generationsInFlight` generations run at once: generation g+1 is planned (and its
/// prompts sent) as soon as generation g has started, from the archives as they stood after g-1.
///
/// Rule fill-ins: a small model on shared cores still writes slower than the trainer trains, so whenever a
/// trainer worker is idle and no model child is ready (none training or queued for a device), the loop plans
/// one rule-mutator child from the archives as they stand and trains it (`ChildOrigin.modelBusy`). The model's
/// generations are planned and prompted exactly as without fill-ins, at the model's own pace; a model child
/// that becomes ready while a fill-in trains waits for at most that one child per worker (the worker pool
/// serves the lower candidate first, and fill-ins are never queued: one is planned only for an idle worker).
/// Fill-ins are aimed like a rule run's children (`fillInChild`) within `growthFactor` times the FLOPs of the
/// costliest archive network; one that still costs more is dropped untrained.
///
/// Determinism, and its price: the model generations stay deterministic for a given sequence of replies
/// (duplicates decided in candidate order with `CandidateTurns` chained across generations, each generation's
/// records applied in candidate order once all are in). Fill-ins are not: how many there are, and when each is
/// applied, depends on how fast the model and the trainer ran, so with a model the archives are a function of
/// timing. A fill-in is applied as soon as it finishes (planning from fresh archives is its point) and filed
/// under the newest planned generation, so `--resume` replays it in (generation, id) order, which can differ
/// from the live order; the network archive keeps the fittest per niche either way (only ties depend on the
/// order). A run that must be reproducible runs without a model, or with `fillIns` off.
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
        enum Wake: Sendable {
            case generationDone(Int)
            case fillInDone(CandidateRecord?, dropped: Bool)
            case workerFreed
        }
        let (wakes, sink) = AsyncStream<Wake>.makeStream()
        var pending = wakes.makeAsyncIterator()
        let occupancy = fillIns ? TrainerOccupancy(workers: await pool.deviceCount, wake: { sink.yield(.workerFreed) }) : nil
        self.occupancy = occupancy
        defer { self.occupancy = nil; sink.finish() }

        var queue: [InFlight] = []
        var done: Set<Int> = []
        var generation = first
        var nextID = max(state.maxCandidate, directory.candidateFolders().last ?? 0) + 1
        var barren = 0
        var fillInsInFlight = 0
        var fillInSerial = state.maxCandidate   // distinct per run and resume, without a counter in the log
        // Fill-ins dropped in a row for their cost; after `maxDrops`, none until the next generation is applied.
        var drops = 0
        let maxDrops = 3
        while true {
            let unapplied = queue.reduce(0) { $0 + $1.plans.count } + fillInsInFlight
            if queue.count < Self.generationsInFlight, barren < barrenLimit,
               let count = childrenFor(generation: generation, inFlight: unapplied), count > 0 {
                let plans = state.plan(generation: generation, count: count, firstID: nextID, config: config)
                nextID = (plans.map(\.id).max() ?? nextID) + 1
                let turns = CandidateTurns(order: plans.map(\.id), after: queue.last?.turns)
                notePlanned(generation: generation)
                let g = generation
                let results = Task {
                    let finished = await self.makeChildren(plans, turns: turns)
                    sink.yield(.generationDone(g))
                    return finished
                }
                queue.append(InFlight(generation: generation, plans: plans, turns: turns, results: results))
                generation += 1
                continue
            }
            // Idle workers get rule children while the model writes (only while it still has work in flight).
            if let occupancy, !queue.isEmpty, barren < barrenLimit, drops < maxDrops,
               childrenFor(generation: generation - 1, inFlight: unapplied) != nil, await occupancy.reserve() {
                fillInSerial += 1
                children.fillInFlops = growthFlopsCap()
                let plan = fillInPlan(serial: fillInSerial, generation: generation - 1, id: nextID)
                nextID += 1
                fillInsInFlight += 1
                Task {
                    let record = await self.makeChild(plan, source: nil, turns: CandidateTurns(order: [plan.id]), rulesOnly: true)
                    if let record { self.log(record) }
                    sink.yield(.fillInDone(record, dropped: record == nil && !self.directory.exists(self.directory.candidateFolder(plan.id))))
                    await occupancy.leave()
                }
                continue
            }
            // Generations are applied in order, each once all its children are in, and one at a time: the loop
            // plans again after each, so generation g + 2 is always planned from the archives after g (never
            // after g + 1 too because g + 1 happened to finish first), and the archives do not depend on timing.
            if let head = queue.first, done.contains(head.generation) {
                queue.removeFirst()
                drops = 0
                let finished = await head.results.value
                let before = state.evaluations
                for id in head.plans.map(\.id).sorted() {
                    if var r = finished[id], !skipIfRepeatedCell(r) { apply(&r) }
                }
                try closeGeneration(head.generation)
                barren = state.evaluations == before ? barren + 1 : 0
                if barren == barrenLimit { warn("\(barren) generations in a row made only duplicates; stopping") }
                continue
            }
            guard !queue.isEmpty || fillInsInFlight > 0 else { break }
            switch await pending.next() {
            case .generationDone(let g)?:
                done.insert(g)
            case .fillInDone(let record, let dropped)?:
                fillInsInFlight -= 1
                drops = dropped ? drops + 1 : 0
                if var r = record, !skipIfRepeatedCell(r) { apply(&r) }
            case .workerFreed?, nil:
                break
            }
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
