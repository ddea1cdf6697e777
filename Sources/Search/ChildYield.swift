import Foundation

/// What the children of one prompt (or of all prompts) became, counted from events.jsonl alone so the JSON
/// summary, the report and a resumed run agree. A model *reply* is a child the language model answered
/// (duplicates included; rule children made because the endpoint failed are `fallbacks`, not replies).
public struct YieldCounts: Codable, Sendable, Hashable {
    public var replies = 0
    /// Replies that passed parsing and the shape checks as the model wrote them.
    public var parsed = 0
    /// Children (model and rules) whose network was already made; never trained.
    public var duplicates = 0
    /// Of `duplicates`, those written by the model.
    public var modelDuplicates = 0
    /// Input sizes set without the model.
    public var repairedWithoutModel = 0
    public var repairRounds = 0
    public var repairRoundsFixed = 0
    /// Second rounds for model children that repeated their parent, and those whose revision was a new network.
    public var revisions = 0
    public var revisionsChanged = 0
    /// Children that reached the trainer (model children only in `modelTrained`).
    public var trained = 0
    public var modelTrained = 0
    public var entered = 0
    /// Rule children made in the model's place (endpoint failed, too slow, breaker open, or a repeated network).
    public var fallbacks = 0
    /// Rule fill-ins (`ChildOrigin.modelBusy`): made because a trainer worker was idle while the model wrote.
    /// Not fallbacks and not replies; counted apart so model children and fill-ins can be compared.
    public var fillIns = 0
    public var fillInsTrained = 0
    public var fillInsEntered = 0
    /// Model children that entered the network archive, and the best fitness and validation accuracy among the
    /// model's trained children (nil when none trained): what tells whether a prompt earns its keep.
    public var modelEntered = 0
    public var modelBestFitness: Double?
    public var modelBestAccuracy: Double?
    public var promptTokens = 0
    public var completionTokens = 0
    public var llmSeconds = 0.0

    /// Model children that trained or were skipped as duplicates, over replies; nil without replies.
    public var validRate: Double? {
        replies > 0 ? Double(modelTrained + modelDuplicates) / Double(replies) : nil
    }

    /// Children repaired before training.
    public var repaired: Int { repairedWithoutModel + repairRoundsFixed }

    mutating func add(_ u: LLMUsage) {
        promptTokens += u.promptTokens; completionTokens += u.completionTokens; llmSeconds += u.seconds
    }
}

/// The yield of a run: per operation (`add-conv`, `crossover`, ...) and in total.
public struct ChildYield: Sendable {
    public var byOperation: [String: YieldCounts] = [:]
    public var total = YieldCounts()

    /// Counts the run folder's events (candidates replayed to know which entered the archive).
    public init(directory: RunDirectory, config: SearchConfig) {
        var state = SearchState(config: config)
        let records = state.replay(EventLog.read(RunEvent.self, from: directory.eventsPath))
        self.init(records: records, duplicates: DuplicateRecord.all(in: directory.eventsPath))
    }

    public init(records: [CandidateRecord], duplicates: [DuplicateRecord]) {
        for r in records where r.operation != .seed {
            count(r.operation.description) { y in
                let model = (r.llm?.replies ?? 0) > 0
                if model {
                    y.replies += 1
                    y.add(r.llm ?? LLMUsage())
                    if r.repairs == nil, r.repairRound == nil, !Self.failedChecks(r) { y.parsed += 1 }
                    if r.cost != nil { y.modelTrained += 1 }
                }
                if r.fallback == ChildOrigin.modelBusy {
                    y.fillIns += 1
                    if r.cost != nil { y.fillInsTrained += 1 }
                    if r.network?.entered == true { y.fillInsEntered += 1 }
                } else if r.fallback != nil {
                    y.fallbacks += 1
                }
                if model, r.network?.entered == true { y.modelEntered += 1 }
                if model, let f = r.fitness, f.isFinite, r.failure == nil {
                    y.modelBestFitness = max(y.modelBestFitness ?? f, f)
                }
                if model, let a = r.metrics?.validationAccuracy, a.isFinite, r.failure == nil {
                    y.modelBestAccuracy = max(y.modelBestAccuracy ?? a, a)
                }
                if r.repairs != nil { y.repairedWithoutModel += 1 }
                if r.repairRound != nil { y.repairRounds += 1 }
                if r.repairRound == "fixed" { y.repairRoundsFixed += 1 }
                if r.revision != nil { y.revisions += 1 }
                if r.revision == "changed" { y.revisionsChanged += 1 }
                if r.cost != nil { y.trained += 1 }
                if r.network?.entered == true { y.entered += 1 }
            }
        }
        for d in duplicates {
            count(d.operation.description) { y in
                y.duplicates += 1
                if d.by == "model" {
                    y.modelDuplicates += 1
                    y.replies += 1
                    y.parsed += 1
                    y.add(d.llm ?? LLMUsage())
                }
            }
        }
    }

    private mutating func count(_ operation: String, _ change: (inout YieldCounts) -> Void) {
        change(&byOperation[operation, default: YieldCounts()])
        change(&total)
    }

    /// Failed before training: no source, or not a network that fits the data.
    static func failedChecks(_ r: CandidateRecord) -> Bool {
        switch r.failure {
        case .generation?, .parse?, .shape?: return true
        default: return false
        }
    }

    /// The report's table: one row per operation that made children, then the total.
    public func htmlTable() -> String {
        func row(_ name: String, _ y: YieldCounts) -> String {
            let rate = y.validRate.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
            var h = "<tr><td class=\"l\">\(HTML.escape(name))</td><td>\(y.replies)</td><td>\(y.parsed)</td>"
            h += "<td>\(y.duplicates)</td><td>\(y.repairedWithoutModel)</td><td>\(y.repairRoundsFixed)/\(y.repairRounds)</td>"
            h += "<td>\(y.revisionsChanged)/\(y.revisions)</td>"
            let best = y.modelBestAccuracy.map { String(format: "%.4f", $0) } ?? "-"
            h += "<td>\(y.trained)</td><td>\(y.entered)</td><td>\(y.modelEntered)</td><td>\(best)</td>"
            h += "<td>\(y.fillIns)</td><td>\(y.fillInsEntered)</td><td>\(y.fallbacks)</td><td>\(rate)</td>"
            h += "<td>\(y.promptTokens + y.completionTokens)</td><td>\(String(format: "%.1f", y.llmSeconds))</td></tr>"
            return h
        }
        var h = "<h2>Children: yield</h2><table><tr><th class=\"l\">prompt</th><th>model replies</th><th>parsed as written</th>"
        h += "<th>duplicates</th><th>repaired (sizes)</th><th>repair rounds fixed</th><th>parent repeats revised</th><th>trained</th>"
        h += "<th>entered archive</th><th>model children entered</th><th>model's best accuracy</th>"
        h += "<th>rule fill-ins</th><th>fill-ins entered</th><th>rule fallbacks</th><th>valid rate</th><th>tokens</th><th>model seconds</th></tr>"
        let order = MutationInstruction.allCases.map(\.description) + ["crossover"]
        for name in order { if let y = byOperation[name] { h += row(name, y) } }
        h += row("all", total)
        h += "</table><p class=\"meta\">Valid rate: model children that trained or were skipped as duplicates, over "
        h += "model replies. A model child that repeats its parent is sent back once asking for the change (revised: "
        h += "the revision was a new network). Duplicates repeat a network already made and are never trained; they are neither "
        h += "evaluations nor failures. Rule fill-ins train while the model writes (a worker was idle and no model child was ready); they "
        h += "count in trained and entered, not in the model's columns.</p>"
        return h
    }
}
