import Foundation
import NetCode
import NetIR

/// One prompt of the yield harness: an operation over parents taken from a real archive (the seed network and
/// rule children of it), as the search would send it.
public struct YieldPrompt: Sendable {
    public var operation: Variation
    public var parents: [String]
    /// Which parent network (`initial`, `initial+add-conv`), for the listing.
    public var parentLabel: String
    public var temperature: Double
    public var seed: UInt64

    public init(operation: Variation, parents: [String], parentLabel: String, temperature: Double, seed: UInt64) {
        self.operation = operation; self.parents = parents; self.parentLabel = parentLabel
        self.temperature = temperature; self.seed = seed
    }
}

/// What became of one model reply, judged as the search judges a model's child (`prepareChild` in
/// ChildVetting.swift): the checks, the repairs made without the model, one round with the model (the located
/// error back, or, for a child that repeats its parent, a request to make the change), and whether the
/// network is new.
public struct YieldTrial: Codable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        /// A network that passes every check and is none of its parents: what the search trains.
        case new
        /// Passes every check but is a parent again (structural hash): the search skips it as a duplicate.
        case sameAsParent = "same-as-parent"
        /// Still fails a check after the repairs (or has no code at all).
        case invalid
        /// The endpoint failed (connection, HTTP error, timeout): no reply to judge.
        case noReply = "no-reply"
    }

    public var kind: String
    public var parent: String
    public var outcome: Outcome
    /// The first reply had code (a Python class).
    public var hadCode = false
    /// The first reply passed every check as written.
    public var parsedAsWritten = false
    /// The first reply passed after the repairs without the model.
    public var repairedWithoutModel = false
    /// The first reply passed the checks but repeated a parent.
    public var firstSameAsParent = false
    /// The model's second round: `fixed`/`failed` for an error sent back, `changed`/`unchanged`/`failed` for a
    /// child that repeated its parent; nil when there was none.
    public var secondRound: String?
    /// The error of the last failed check (nil when the outcome is `new` or `same-as-parent`).
    public var error: String?
    public var replies = 0
    public var seconds = 0.0
    public var promptTokens = 0
    public var completionTokens = 0
    /// The first prompt and the last reply's code, for reading the failures.
    public var prompt: String?
    public var reply: String?
}

/// Sends prompts to a model and judges each reply as the search would. Used by `llmatic llm-yield`.
public struct ReplyYield: Sendable {
    public let mutator: any RepairingMutator
    public let checker: CandidateChecker
    public let input: TensorShape
    /// Whether a child that repeats its parent is sent back once with a request to make the change.
    public var reviseUnchanged: Bool

    public init(mutator: any RepairingMutator, checker: CandidateChecker, input: TensorShape, reviseUnchanged: Bool = true) {
        self.mutator = mutator; self.checker = checker; self.input = input; self.reviseUnchanged = reviseUnchanged
    }

    /// The checks, then the repairs without the model.
    func vet(_ source: String, parents: [String]) -> (Result<CheckedCandidate, CandidateFailure>, repaired: Bool) {
        let checked = checker.check(source, file: "net.py")
        guard case .failure(let f) = checked, ModelFreeRepair.isRepairable(f),
              let (_, fixed, _) = ModelFreeRepair.repair(source, file: "net.py", input: input, parents: parents, checker: checker)
        else { return (checked, false) }
        return (.success(fixed), true)
    }

    public func trial(_ prompt: YieldPrompt) async -> YieldTrial {
        var trial = YieldTrial(kind: prompt.operation.description, parent: prompt.parentLabel, outcome: .noReply)
        let request = MutationRequest(operation: prompt.operation, parents: prompt.parents, temperature: prompt.temperature,
                                      seed: prompt.seed)
        let parentStructures = Set(prompt.parents.compactMap { p -> String? in
            guard case .success(let c) = checker.check(p, file: "parent.py") else { return nil }
            return c.graph.structuralHash
        })
        func count(_ usage: LLMUsage?) {
            guard let usage else { return }
            trial.replies += usage.replies; trial.seconds += usage.seconds
            trial.promptTokens += usage.promptTokens; trial.completionTokens += usage.completionTokens
        }
        let clock = Date()
        let first: MutationOutput
        do throws(MutatorError) {
            first = try await mutator.generate(request)
        } catch {
            if case .noCode = error {
                trial.replies = 1; trial.seconds = Date().timeIntervalSince(clock)
                trial.outcome = .invalid
            }
            trial.error = error.description
            return trial
        }
        count(first.usage)
        trial.hadCode = true
        trial.prompt = first.prompt
        trial.reply = first.source
        var (checked, repaired) = vet(first.source, parents: prompt.parents)
        if case .success = checked { trial.parsedAsWritten = !repaired; trial.repairedWithoutModel = repaired }
        var source = first.source

        switch checked {
        case .failure(let failure) where ModelFreeRepair.isRepairable(failure):
            let second = try? await mutator.repair(source, error: failure.message, request: request)
            count(second?.usage)
            trial.secondRound = "failed"
            if let second {
                let (again, _) = vet(second.source, parents: prompt.parents)
                trial.reply = second.source
                if case .success = again { trial.secondRound = "fixed"; checked = again; source = second.source }
                else { checked = again }
            }
        case .success(let c) where parentStructures.contains(c.graph.structuralHash):
            trial.firstSameAsParent = true
            guard reviseUnchanged else { break }
            let second = try? await mutator.reviseUnchanged(source, request: request)
            count(second?.usage)
            trial.secondRound = "failed"
            if let second {
                trial.reply = second.source
                let (again, _) = vet(second.source, parents: prompt.parents)
                if case .success(let c2) = again {
                    let changed = !parentStructures.contains(c2.graph.structuralHash)
                    trial.secondRound = changed ? "changed" : "unchanged"
                    if changed { checked = again }
                }
            }
        default:
            break
        }
        switch checked {
        case .success(let c):
            trial.outcome = parentStructures.contains(c.graph.structuralHash) ? .sameAsParent : .new
        case .failure(let f):
            trial.outcome = .invalid
            trial.error = f.message
        }
        return trial
    }
}

/// The yield of a set of trials, per prompt kind and in all.
public struct YieldSummary: Codable, Sendable {
    public var kind: String
    public var prompts = 0
    public var replies = 0
    public var hadCode = 0
    public var parsedAsWritten = 0
    public var repairedWithoutModel = 0
    public var firstSameAsParent = 0
    public var secondRounds = 0
    public var secondRoundsSucceeded = 0
    public var new = 0
    public var sameAsParent = 0
    public var invalid = 0
    public var noReply = 0
    public var seconds = 0.0
    public var completionTokens = 0
    public var promptTokens = 0

    /// Share of answered prompts that end as a new trainable child.
    public var newShare: Double { prompts - noReply > 0 ? Double(new) / Double(prompts - noReply) : 0 }
    /// Share of answered prompts that end trained or duplicate-skipped in a search (issue 10's measure).
    public var usableShare: Double { prompts - noReply > 0 ? Double(new + sameAsParent) / Double(prompts - noReply) : 0 }
    public var secondsPerReply: Double { replies > 0 ? seconds / Double(replies) : 0 }

    public init(kind: String) { self.kind = kind }

    public mutating func add(_ t: YieldTrial) {
        prompts += 1; replies += t.replies; seconds += t.seconds
        completionTokens += t.completionTokens; promptTokens += t.promptTokens
        if t.hadCode { hadCode += 1 }
        if t.parsedAsWritten { parsedAsWritten += 1 }
        if t.repairedWithoutModel { repairedWithoutModel += 1 }
        if t.firstSameAsParent { firstSameAsParent += 1 }
        if let r = t.secondRound {
            secondRounds += 1
            if r == "fixed" || r == "changed" { secondRoundsSucceeded += 1 }
        }
        switch t.outcome {
        case .new: new += 1
        case .sameAsParent: sameAsParent += 1
        case .invalid: invalid += 1
        case .noReply: noReply += 1
        }
    }

    /// One row per kind (in first-seen order) and a last row `all`.
    public static func table(_ trials: [YieldTrial]) -> [YieldSummary] {
        var kinds: [String] = []
        var rows: [String: YieldSummary] = [:]
        var all = YieldSummary(kind: "all")
        for t in trials {
            if rows[t.kind] == nil { kinds.append(t.kind); rows[t.kind] = YieldSummary(kind: t.kind) }
            rows[t.kind]!.add(t)
            all.add(t)
        }
        return kinds.map { rows[$0]! } + [all]
    }
}
