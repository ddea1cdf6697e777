/// A network archive member.
public struct NetworkElite: Codable, Sendable, Hashable {
    public var candidate: Int
    public var generation: Int
    public var operation: Variation
    public var accuracy: Double
    public var loss: Double
    public var cost: CostSummary
    /// Optimizer steps the fitness was measured after (its fidelity; nil in runs before it was recorded).
    public var steps: Int?
}

/// One point of the progress charts: after the n-th candidate.
public struct HistoryPoint: Codable, Sendable, Hashable {
    public var evaluations: Int
    public var bestAccuracy: Double?
    public var bestFitness: Double?
    public var coverage: Double
    public var failures: Int
    /// Sum of fitness over filled niches (nil in runs before it was recorded).
    public var qdScore: Double?
}

/// Both archives and the counters. Changed only by `apply`, used alike when a record is fresh and when it is
/// replayed from events.jsonl on `--resume`, so a resumed run rebuilds exactly the archives it had.
public struct SearchState: Codable, Sendable {
    public var networks: CVTArchive<NetworkElite>
    public var prompts: PromptArchive
    /// Per operation name (`add-conv`, `crossover`, `seed`).
    public var stats: [String: InstructionStats]
    public var evaluations = 0
    public var failures = 0
    public var bestFitness: Double?
    public var bestAccuracy: Double?
    public var history: [HistoryPoint] = []
    public var lastGeneration = -1
    public var maxCandidate = -1
    /// Candidates already applied (a replayed duplicate line is ignored).
    public var applied: Set<Int> = []

    public init(config: SearchConfig) {
        networks = config.nicheCentroids.map(CVTArchive.init(centroids:)) ?? CVTArchive(niches: config.niches, dimensions: 2, seed: config.seed)
        prompts = PromptArchive(niches: config.promptNiches, seed: config.seed)
        stats = [:]
    }

    public var coverage: Double { networks.coverage }

    /// Puts the record's network and prompt into the archives and fills in what they did with them.
    public mutating func apply(_ record: inout CandidateRecord) {
        guard applied.insert(record.id).inserted else { return }
        evaluations += 1
        maxCandidate = max(maxCandidate, record.id)
        lastGeneration = max(lastGeneration, record.generation)
        var entered = false
        var improvedBest = false
        if let metrics = record.metrics, let fitness = record.fitness, let descriptor = record.descriptor,
           let cost = record.cost, record.failure == nil {
            let elite = NetworkElite(candidate: record.id, generation: record.generation, operation: record.operation,
                                     accuracy: metrics.validationAccuracy, loss: metrics.validationLoss, cost: cost,
                                     steps: metrics.steps)
            let outcome = networks.insert(descriptor: descriptor, fitness: fitness, payload: elite)
            record.network = outcome
            entered = outcome.entered
            if fitness.isFinite, bestFitness.map({ fitness > $0 }) ?? true {
                bestFitness = fitness
                improvedBest = true
            }
            if metrics.validationAccuracy.isFinite, bestAccuracy.map({ metrics.validationAccuracy > $0 }) ?? true {
                bestAccuracy = metrics.validationAccuracy
            }
        } else {
            failures += 1
            record.network = nil
        }
        var s = stats[record.operation.description] ?? InstructionStats()
        s.uses += 1
        s.temperatureSum += record.temperature
        if entered { s.successes += 1 }
        if record.failure != nil { s.failures += 1 }
        if case .mutation(let m) = record.operation {
            let t = PromptRules.afterEvaluation(record.temperature, improvedBest: improvedBest)
            record.promptTemperature = t
            record.prompt = prompts.record(m, temperature: t, entered: entered, candidate: record.id)
            s.curiosity += PromptRules.curiosityChange(entered: entered)
        }
        stats[record.operation.description] = s
        history.append(HistoryPoint(evaluations: evaluations, bestAccuracy: bestAccuracy, bestFitness: bestFitness,
                                    coverage: coverage, failures: failures, qdScore: QualityDiversity.score(networks)))
    }

    /// Applies logged candidates the way the live run did: generation by generation, in candidate order
    /// within a generation (the log has them in completion order). Returns the records with their outcomes.
    public mutating func replay(_ events: [RunEvent]) -> [CandidateRecord] {
        var records: [CandidateRecord] = events.compactMap { if case .candidate(let r) = $0 { return r } else { return nil } }
        records.sort { ($0.generation, $0.id) < ($1.generation, $1.id) }
        for i in records.indices { apply(&records[i]) }
        return records
    }

    /// Parents for a mutation: one of the `pool` fittest networks.
    func fitParent(pool: Int, rng: inout SearchRandom) -> NetworkElite? {
        rng.pick(Array(networks.ranked.prefix(pool)).map(\.payload))
    }

    /// Any archive member other than `other` (or `other` itself when it is alone).
    func otherParent(than other: Int, rng: inout SearchRandom) -> NetworkElite? {
        let rest = networks.ranked.map(\.payload).filter { $0.candidate != other }
        return rng.pick(rest) ?? networks.ranked.first?.payload
    }
}
