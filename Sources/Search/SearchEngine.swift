import Foundation
import NetIR

/// What the status line shows, after every candidate.
public struct SearchStatus: Sendable {
    public var generation: Int
    public var evaluations: Int
    public var failures: Int
    public var coverage: Double
    public var bestAccuracy: Double?
    public var evaluationsPerHour: Double
    public var elapsed: Double
    /// The candidate just finished, in a few words.
    public var last: String
}

/// The outcome of a run (also the `--json` line).
public struct SearchSummary: Codable, Sendable {
    public var evaluations: Int
    public var failures: Int
    public var coverage: Double
    public var best_accuracy: Double?
    public var best_candidate: Int?
    /// Test-set accuracy of the best network with its trained weights (nil when not measured).
    public var best_test_accuracy: Double?
    /// NAS-Bench-201 runs (`--space nb201`): the best network's cell string.
    public var best_cell: String?
    public var generations: Int
    public var seconds: Double
    /// Share of the search's worker time (wall x devices) not spent training and validating candidates (those
    /// whose training failed midway, as a divergence ends it, included): mutation, checking, plan compilation,
    /// weight files, logging, archive updates and idle workers.
    public var overhead: Double
    /// Language-model yield (see `ChildYield`): children that trained or were skipped as duplicates, over the
    /// model's replies (nil without a model).
    public var llm_valid_rate: Double?
    /// Children skipped because their network was already made (model and rules alike).
    public var duplicates: Int = 0
    /// Children repaired before training: input sizes without the model, plus fixed repair rounds.
    public var repairs: Int = 0
    /// Wall-clock seconds of the model's exchanges (overlapping exchanges each count).
    public var llm_seconds: Double = 0
    /// Model children that reached the trainer, and rule fill-ins trained while the model wrote.
    public var model_children: Int = 0
    public var fill_ins: Int = 0
    /// The yield per prompt (operation: `add-conv`, `crossover`, ...); empty without a model.
    public var yield_by_prompt: [String: YieldCounts] = [:]
    public var report: String
    public var directory: String
    /// Sum of fitness over the archive's filled niches (`QualityDiversity`).
    public var qd_score: Double = 0
    /// With `--run-time`: the final network retrained from scratch (FinalNetwork.swift), its files, and the
    /// whole run's wall time.
    public var final_test_accuracy: Double?
    public var final_source: String?
    public var final_weights: String?
    public var run_seconds: Double?
}

/// LLMatic's loop: plan a generation, make and evaluate its children concurrently (the mutator's own
/// concurrency limit and one worker per device bound the parallelism), apply each result to the archives
/// as it arrives, log it, and close the generation with an fsync and an archive snapshot.
public final class SearchEngine: @unchecked Sendable {
    public let config: SearchConfig
    public let directory: RunDirectory
    let mutator: any Mutator
    let checker: CandidateChecker
    let evaluator: any Evaluator
    let pool: WorkerPool
    let log: EventLog
    public private(set) var state: SearchState
    let onStatus: (@Sendable (SearchStatus) -> Void)?
    let started = Date()
    var evaluationsAtStart = 0
    /// Seconds this session's candidates spent in `Trainer.train` (training and validation).
    var trainingSeconds = 0.0
    let resumed: Bool
    /// Duplicate detection, repairs and the model's fallback (ChildVetting.swift).
    let children: ChildServices
    /// With a language model, plan and generate the next generation while this one trains (on by default).
    var overlapsGenerations = true
    /// Rule runs overlap generations too (set under MPI): otherwise each generation's last child leaves every
    /// other worker idle. The archives stay a function of the seed (OverlappedGenerations.swift), not of timing.
    public var overlapsRuleGenerations = false
    /// With a language model, idle trainer workers get rule children while the model writes (RuleFillIns.swift).
    public var fillIns = true
    /// The final network is retrained at the widest width the time left trains well (FinalScaling.swift).
    public var scalesFinalNetwork = true
    /// Workers holding a child, while generations are overlapped with fill-ins.
    var occupancy: TrainerOccupancy?
    /// Cells looked up in a results table so far, with the candidate that first did; a repeat is skipped
    /// (`skipIfRepeatedCell`).
    var queriedCells: [String: Int] = [:]
    /// Wall seconds of each generation this launch ran (sequential loop), for the time-limit prediction.
    var generationSeconds: [Double] = []
    /// Seconds each child of those generations trained and validated (its own, not its wait for a device), in
    /// the order they finished; failed children leave none.
    var childSeconds: [Double] = []
    /// The archive as each generation was planned (NicheTargeting.swift).
    let plannedArchives = PlannedArchives()

    /// Creates the run folder (or, with `resume`, replays its events to rebuild the archives).
    public init(config: SearchConfig, directory: RunDirectory, seedSource: String?, mutator: any Mutator,
                checker: CandidateChecker, evaluator: any Evaluator, resume: Bool,
                onStatus: (@Sendable (SearchStatus) -> Void)? = nil) throws(SearchError) {
        try config.validate()
        self.config = config; self.directory = directory; self.mutator = mutator; self.checker = checker
        self.evaluator = evaluator; self.onStatus = onStatus; resumed = resume
        pool = WorkerPool(evaluator: evaluator)
        do {
            try directory.create()
            if !resume {
                guard let seedSource else { throw SearchError.invalidConfig("no seed network source") }
                try directory.writeJSON(config, to: directory.configPath)
                try directory.writeText(seedSource, to: directory.seedPath)
            }
            log = try EventLog(path: directory.eventsPath)
        } catch let e as RunDirectoryError {
            throw .directory(e)
        } catch let e as SearchError {
            throw e
        } catch {
            throw .data("\(error)")
        }
        state = Self.replay(directory: directory, config: config)
        evaluationsAtStart = state.evaluations
        queriedCells = Self.queriedCells(directory.eventsPath)
        children = ChildServices(structures: StructureRegistry(directory: directory, checker: checker),
                                 fallback: (mutator as? any RepairingMutator)?.fallbackDeadline.map { ModelFallback(deadline: $0) },
                                 rules: config.space.map { NB201Mutator(space: $0, input: checker.codec.input, classes: checker.classes) }
                                     ?? RuleMutator(codec: checker.codec),
                                 repairInput: checker.codec.input)
    }

    /// The archives as the event log has them: every complete candidate line applied in order.
    public static func replay(directory: RunDirectory, config: SearchConfig) -> SearchState {
        var state = SearchState(config: config)
        let repeated = repeatedCellIDs(directory.eventsPath)
        _ = state.replay(EventLog.read(RunEvent.self, from: directory.eventsPath).filter { event in
            if case .candidate(let r) = event { return !repeated.contains(r.id) } else { return true }
        })
        return state
    }

    public func run() async throws(SearchError) -> SearchSummary {
        do {
            try log.append(StartRecord(resumed: resumed, evaluations: state.evaluations, mutator: mutator.name,
                                       devices: evaluator.deviceNames, time: CandidateRecord.now()))
        } catch { throw .directory(error) }
        try await evaluateSeedIfNeeded()
        let cutter = modelCutAtTimeLimit()
        defer { cutter?.cancel() }
        var generation = max(state.lastGeneration + 1, 1)
        if (children.fallback != nil || overlapsRuleGenerations) && overlapsGenerations {
            // A language model: generation overlaps training (OverlappedGenerations.swift).
            let last = try await runOverlapped(from: generation)
            try writeSnapshot()
            return summary(generations: last, failedTrainingSeconds: await pool.failedSeconds)
        }
        var barren = 0
        while let count = childrenFor(generation: generation), count > 0 {
            let firstID = max(state.maxCandidate, directory.candidateFolders().last ?? 0) + 1
            let plans = state.plan(generation: generation, count: count, firstID: firstID, config: config)
            let before = state.evaluations
            let generationStart = Date()
            await runGeneration(plans)
            generationSeconds.append(Date().timeIntervalSince(generationStart))
            try closeGeneration(generation)
            generation += 1
            // A closing generation none of whose children fit the time left ends exploring (ChildVetting drops them).
            if state.evaluations == before, plannedArchives.value(generation: generation - 1).timeLeftCap != nil { break }
            // Duplicates are not evaluations; a mutator that only repeats networks must not loop for ever.
            barren = state.evaluations == before ? barren + 1 : 0
            if barren >= barrenLimit {
                warn("\(barren) generations in a row made only duplicates; stopping")
                break
            }
        }
        try writeSnapshot()
        return summary(generations: generation - 1, failedTrainingSeconds: await pool.failedSeconds)
    }

    /// With a language model and a time limit: when the limit passes, the model's exchanges still waiting are
    /// cut and children not yet claimed are dropped (`ModelFallback.close`), so the search ends with the
    /// children already training instead of waiting for replies.
    func modelCutAtTimeLimit() -> Task<Void, Never>? {
        guard let fallback = children.fallback, let limit = config.timeLimit else { return nil }
        let started = self.started
        return Task {
            let wait = limit - Date().timeIntervalSince(started)
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
            guard !Task.isCancelled else { return }
            let cut = fallback.close("the search's time is up")
            if cut > 0 { self.warn("the search's time is up: \(cut) model exchange(s) in flight cut, their children not trained") }
        }
    }

    /// In a model run with a time limit, whether a child may still start training once a device is free for it:
    /// only while the time is not up and, where the trainer can predict it, when its training is predicted to
    /// end in time. Children claimed before the limit otherwise queued for a worker and trained past it
    /// (measured: 78 s past a 280-s explore share, the whole promotion share). nil (always start) in rule runs,
    /// whose generations are started only when predicted to end in time and must not depend on timing.
    func trainingGate(_ cost: NetworkCost) -> (@Sendable (Int) -> Bool)? {
        guard let fallback = children.fallback, let limit = config.timeLimit else { return nil }
        let started = self.started
        let trainer = evaluator as? TrainerEvaluator
        return { device in
            guard fallback.closed == nil else { return false }
            let predicted = trainer?.predictedSeconds(cost, device: device) ?? 0
            return RunTimeSplit.mayStart(elapsed: Date().timeIntervalSince(started), predicted: predicted, limit: limit)
        }
    }

    static let barrenGenerations = 5
    /// Generations in a row without a new network before the run stops: NAS-Bench-201 children repeat cells
    /// far more often than free-form ones (about 9 in 10 on cifar10.json), so that space waits longer.
    var barrenLimit: Int { config.space != nil ? Self.maxGenerationsWithoutNewCells : Self.barrenGenerations }

    /// Children the next generation may make, or nil when the budget is spent.
    func childrenFor(generation: Int, inFlight: Int = 0) -> Int? {
        if let g = config.generations, generation > g { return nil }
        // The next generation must be predicted to end before the limit: it takes as long as the longest of the
        // last few (children cannot be stopped midway). Aimed rule children are capped to their share of the time
        // left (`timeLeftFlopsCap`), so such a run needs only time for the cheapest children.
        if let limit = config.timeLimit {
            let longest = longestRecentGeneration
            let needed = timeLeftFlopsCap() != nil
                ? min(longest, Self.closingChildSeconds * childrenPerDevice) : longest
            if !RunTimeSplit.mayStart(elapsed: Date().timeIntervalSince(started), predicted: needed, limit: limit) { return nil }
        }
        guard let e = config.evaluations else { return config.batch }
        let left = e - state.evaluations - inFlight
        return left > 0 ? min(config.batch, left) : nil
    }

    func evaluateSeedIfNeeded() async throws(SearchError) {
        if let seedRecord = EventLog.read(RunEvent.self, from: directory.eventsPath).lazy.compactMap({ event -> CandidateRecord? in
            if case .candidate(let r) = event, r.id == 0 { return r } else { return nil }
        }).first {
            if let f = seedRecord.failure { throw .seedFailed(f) }
            return
        }
        guard let source = directory.read(directory.seedPath) else {
            throw .directory(.notARun("\(directory.seedPath) is missing"))
        }
        let plan = ChildPlan(id: 0, generation: 0, operation: .seed, parents: [], temperature: 0)
        guard var record = await makeChild(plan, source: .success(MutationOutput(source: source, prompt: "seed network\n", note: "seed")),
                                           turns: CandidateTurns(order: [0])) else { return }
        log(record)
        if let f = record.failure { throw .seedFailed(f) }
        if !skipIfRepeatedCell(record) { apply(&record) }
        try closeGeneration(0)
    }

    /// What a generation's children read of the archive as it was planned: few-shot examples, filled niches and
    /// the growth cap (never the live archive, which changes while they are made).
    func notePlanned(generation: Int) {
        children.setExamples(state.networks.ranked.map(\.payload.candidate), generation: generation)
        let timeLeftCap = timeLeftFlopsCap()
        let caps = [growthFlopsCap(), timeLeftCap].compactMap { $0 }
        plannedArchives.set(.init(occupied: Set(state.networks.elites.keys), flopsCap: caps.min(), timeLeftCap: timeLeftCap),
                            generation: generation)
    }

    /// Generations the time-limit predictions look back over.
    static let recentGenerations = 5

    /// Seconds the next generation is predicted to take: the longest of the last five (0 before any).
    var longestRecentGeneration: Double { generationSeconds.suffix(Self.recentGenerations).max() ?? 0 }

    /// Seconds the next generation may take at worst: each of its children as long as the longest child of the
    /// last five generations, the devices sharing them (never less than `longestRecentGeneration`). A
    /// generation can draw several children of the costliest kind at once: seen, one of three 15-MFLOPs
    /// children took 38 s, the next generation drew three and took 100 s, 27 s past the exploring share.
    var worstRecentGeneration: Double {
        let longestChild = childSeconds.suffix(Self.recentGenerations * max(config.batch, 1)).max() ?? 0
        return max(longestRecentGeneration, longestChild * childrenPerDevice)
    }

    /// Children of one generation each device trains, one after another (a generation's children share the devices).
    var childrenPerDevice: Double { Double(max(config.batch, 1)) / Double(deviceCount) }

    /// Devices the search trains on (at least one).
    var deviceCount: Int { max(evaluator.deviceNames.count, 1) }

    /// Seconds a child capped to the time left still gets: the networks near the seed train in well under this.
    static let closingChildSeconds = 2.0

    /// In a rule run aimed at niches with a time limit, once the time left is shorter than the next generation
    /// may take at worst (`worstRecentGeneration`): the FLOPs per sample a child may cost to train within its
    /// share of the time left (a generation's children share the devices), with the budget's tolerance for
    /// rough predictions; nil otherwise, or before any throughput is measured. Why: such a generation used to
    /// be not started, and in two `scripts/run` runs (seed 1, 2 cores) exploring stopped 62 and 60 s before its
    /// 280-s share ended, a fifth of it idle; capped, the closing generations are made of cheap children that fit.
    func timeLeftFlopsCap() -> Int? {
        guard targetsNiches, let limit = config.timeLimit, let trainer = evaluator as? TrainerEvaluator else { return nil }
        let left = max(0, limit - Date().timeIntervalSince(started))
        guard worstRecentGeneration > left else { return nil }
        let share = left / childrenPerDevice / TrainerEvaluator.budgetTolerance
        return trainer.flopsTraining(within: share).map { Int(min($0, Double(Int.max / 2))) }
    }

    func runGeneration(_ plans: [ChildPlan]) async {
        let turns = CandidateTurns(order: plans.map(\.id))
        for g in Set(plans.map(\.generation)) { notePlanned(generation: g) }
        await withTaskGroup(of: (Int, CandidateRecord?).self) { group in
            for plan in plans {
                group.addTask { (plan.id, await self.makeChild(plan, source: nil, turns: turns)) }
            }
            // Records are logged as they finish but applied in candidate order, so the archives (and so the
            // next generation) do not depend on which child happened to finish first.
            let order = plans.map(\.id).sorted()
            var next = 0
            var finished: [Int: CandidateRecord?] = [:]
            for await (id, record) in group {
                if let record {
                    log(record)
                    if let trained = record.metrics?.seconds { childSeconds.append(trained) }
                }
                finished[id] = record
                while next < order.count, let r = finished.removeValue(forKey: order[next]) {
                    if var r, !skipIfRepeatedCell(r) { apply(&r) }   // nil: a duplicate, nothing to apply
                    next += 1
                }
            }
        }
    }

    /// Generates (unless `source` is given), checks, repairs and evaluates one child; nil when the child only
    /// repeated networks already made (logged as duplicates). Never throws: every failure is part of the record.
    /// `rulesOnly`: a fill-in (`ChildOrigin.modelBusy`), made by the rule mutator while the model is busy.
    func makeChild(_ plan: ChildPlan, source: Result<MutationOutput, MutatorError>?, turns: CandidateTurns,
                   rulesOnly: Bool = false) async -> CandidateRecord? {
        let clock = Date()
        var record = CandidateRecord(id: plan.id, generation: plan.generation, operation: plan.operation,
                                     parents: plan.parents, temperature: plan.temperature)
        let folder = directory.candidateFolder(plan.id)
        do { try directory.makeFolder(folder) } catch {
            record.failure = .backend("\(error)")
            await turns.wait(for: plan.id)
            await turns.pass(plan.id)
            return record
        }
        switch await prepareChild(plan, given: source, turns: turns, rulesOnly: rulesOnly, record: &record) {
        case .duplicate, .dropped:
            return nil
        case .failed:
            break
        case .train(let checked):
            record.cost = CostSummary(checked.cost)
            record.descriptor = config.descriptors.descriptor(checked.cost)
            let job = EvaluationJob(candidate: plan.id, graph: checked.graph,
                                    inheritFrom: plan.parents.map { directory.candidateFile($0, .weights) },
                                    weightsPath: directory.candidateFile(plan.id, .weights))
            switch await evaluateCounted(job, cost: checked.cost, fillIn: rulesOnly) {
            case nil:
                warn("candidate \(plan.id) not trained: it could not end within the search's time")
                directory.remove(folder)
                return nil
            case .success(let m)?:
                record.metrics = m
                record.fitness = config.fitness.fitness(accuracy: m.validationAccuracy, loss: m.validationLoss)
            case .failure(let f)?:
                record.failure = f
            }
            if let placed = (evaluator as? any PlacingEvaluator)?.placement(of: plan.id) {
                record.rank = placed.rank
                record.device = placed.device
            }
        }
        record.seconds = Date().timeIntervalSince(clock)
        return record
    }

    /// Applies a finished child to the archives and writes its meta.json. Weights are kept only for networks
    /// that entered the archive (only they become parents); a replaced elite keeps its file, since children
    /// planned from it may still be training and the seed stays the parent of the initial phase.
    func apply(_ record: inout CandidateRecord) {
        trainingSeconds += record.metrics?.seconds ?? 0
        state.apply(&record)
        if record.network?.entered != true { directory.remove(directory.candidateFile(record.id, .weights)) }
        do { try directory.writeJSON(record, to: directory.candidateFile(record.id, .meta)) } catch {
            warn("\(error)")
        }
        onStatus?(status(last: Self.describe(record)))
    }

    /// One line per finished candidate; a failed write is reported but does not stop the run.
    func log(_ record: CandidateRecord) {
        do { try log.append(record) } catch { warn("\(error)") }
    }

    func warn(_ message: String) { FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }

    func closeGeneration(_ generation: Int) throws(SearchError) {
        do {
            try log.append(GenerationRecord(generation: generation, evaluations: state.evaluations, failures: state.failures,
                                            coverage: state.coverage, bestFitness: state.bestFitness,
                                            bestAccuracy: state.bestAccuracy, time: CandidateRecord.now()))
        } catch { throw .directory(error) }
        log.sync()
        try writeSnapshot()
    }

    func writeSnapshot() throws(SearchError) {
        do { try directory.writeJSON(state, to: directory.archivesPath) } catch { throw .directory(error) }
    }

    func status(last: String) -> SearchStatus {
        let elapsed = Date().timeIntervalSince(started)
        let done = state.evaluations - evaluationsAtStart
        return SearchStatus(generation: state.lastGeneration, evaluations: state.evaluations, failures: state.failures,
                            coverage: state.coverage, bestAccuracy: state.bestAccuracy,
                            evaluationsPerHour: elapsed > 0 ? Double(done) * 3600 / elapsed : 0, elapsed: elapsed, last: last)
    }

    static func describe(_ r: CandidateRecord) -> String {
        if let f = r.failure { return "#\(r.id) \(r.operation): \(f.kind)" + (f.sourceKind.map { " (\($0.rawValue))" } ?? "") }
        let acc = r.metrics.map { String(format: "%.4f", $0.validationAccuracy) } ?? "?"
        return "#\(r.id) \(r.operation): acc \(acc) \(r.network?.rawValue ?? "")"
    }

    /// `failedTrainingSeconds`: what the pool's failed evaluations took (`WorkerPool.failedSeconds`). Seen
    /// without it: a seed-0 `scripts/run` whose 9 children diverged after 50-100 steps read 5.4% overhead.
    func summary(generations: Int, failedTrainingSeconds: Double) -> SearchSummary {
        let best = state.networks.best?.payload
        let elapsed = Date().timeIntervalSince(started)
        let workerSeconds = elapsed * Double(deviceCount)
        let yields = ChildYield(directory: directory, config: config)
        let yield = yields.total
        let benchmark = bestBenchmark()   // reads the best candidate's meta.json once
        return SearchSummary(evaluations: state.evaluations, failures: state.failures, coverage: state.coverage,
                             best_accuracy: best?.accuracy, best_candidate: best?.candidate, best_test_accuracy: benchmark?.testAccuracy, best_cell: bestCell(benchmark),
                             generations: max(generations, 0), seconds: elapsed,
                             overhead: workerSeconds > 0 ? max(0, 1 - (trainingSeconds + failedTrainingSeconds) / workerSeconds) : 0,
                             llm_valid_rate: yield.validRate, duplicates: yield.duplicates, repairs: yield.repaired,
                             llm_seconds: yield.llmSeconds, model_children: yield.modelTrained, fill_ins: yield.fillInsTrained,
                             yield_by_prompt: yield.replies > 0 ? yields.byOperation : [:],
                             report: directory.reportPath, directory: directory.root,
                             qd_score: QualityDiversity.score(state.networks))
    }

    /// Test-set accuracy of the archive's best network, with the weights it was trained to.
    public func testBest() async -> Result<TestMetrics, CandidateFailure>? {
        guard let best = state.networks.best?.payload,
              let source = directory.read(directory.candidateFile(best.candidate, .source)) else { return nil }
        guard case .success(let checked) = checker.check(source, file: "best.py") else { return nil }
        let path = directory.candidateFile(best.candidate, .weights)
        let evaluator = self.evaluator
        return await pool.onDevice(catching: { device throws(CandidateFailure) in
            try evaluator.test(checked.graph, weightsPath: path, device: device)
        })
    }
}
