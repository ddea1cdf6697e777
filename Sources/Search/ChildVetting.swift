import Foundation
import NetCode
import NetIR

/// What the engine uses to make children worth training: the structures already made, the model's deadline
/// and breaker, the rule mutator it falls back to, and whether input sizes may be repaired without the model.
final class ChildServices: @unchecked Sendable {
    let structures: StructureRegistry
    /// Present when the mutator is a language model.
    let fallback: ModelFallback?
    /// The model-free mutator of the run's space (free-form rules, or NAS-Bench-201 cell edits).
    let rules: any Mutator
    /// Free-form PyTorch children: set mismatched input sizes from the inferred input (`InputSizeRepair`).
    let repairInput: TensorShape?
    /// Per generation, the archive's best candidates when it was planned (few-shot examples).
    private let lock = NSLock()
    private var examplesByGeneration: [Int: [Int]] = [:]

    /// Largest forward FLOPs a fill-in may have (set by the search loop when it plans one; nil: no cap).
    private var fillInCap: Int?
    var fillInFlops: Int? {
        get { lock.withLock { fillInCap } }
        set { lock.withLock { fillInCap = newValue } }
    }

    func setExamples(_ candidates: [Int], generation: Int) { lock.withLock { examplesByGeneration[generation] = candidates } }
    func examples(generation: Int) -> [Int] { lock.withLock { examplesByGeneration[generation] ?? [] } }

    init(structures: StructureRegistry, fallback: ModelFallback?, rules: any Mutator, repairInput: TensorShape?) {
        self.structures = structures; self.fallback = fallback; self.rules = rules; self.repairInput = repairInput
    }

    /// Rule tries for a slot whose child repeats a network (each with another seed).
    static let ruleRetries = 3
}

/// A child after generation, checks, repairs and the duplicate decision.
enum PreparedChild {
    case train(CheckedCandidate)
    /// `record.failure` says why.
    case failed
    /// Every source made for the slot repeated a network; nothing to train or apply.
    case duplicate
    /// A fill-in costlier than `ChildServices.fillInFlops` allows, so no model child waits long behind it, or any
    /// child of a model run not yet claimed when the search's time is up: dropped before training (its folder
    /// removed).
    case dropped
}

extension SearchEngine {
    /// Makes the child's source (the model, or the rules when the model is unavailable), checks it, repairs it
    /// (input sizes without the model, then one round with the model), and decides in candidate order whether
    /// it repeats a network. Writes prompt.txt and net.py (the repaired source when repaired; the model's reply
    /// then stays as reply.py). Always takes its turn in `turns`, exactly once.
    func prepareChild(_ plan: ChildPlan, given: Result<MutationOutput, MutatorError>?, turns: CandidateTurns,
                      rulesOnly: Bool = false, record: inout CandidateRecord) async -> PreparedChild {
        let file = "candidates/\(RunDirectory.folderName(plan.id))/net.py"
        var request: MutationRequest? = nil
        let generated: Result<MutationOutput, MutatorError>
        if let given {
            generated = given
        } else {
            switch makeRequest(plan) {
            case .failure(let e): generated = .failure(e)
            case .success(let r):
                request = r
                if rulesOnly {
                    record.fallback = ChildOrigin.modelBusy
                    generated = await fillInChild(r, record: &record)
                } else if targetsNiches {
                    // Targeting passes over variants that siblings already made: it waits until every lower
                    // candidate has claimed its network, so what it sees does not depend on timing.
                    await turns.wait(for: plan.id)
                    generated = await targetedRuleChild(r, record: &record)
                } else {
                    generated = await generateGuarded(r, record: &record)
                }
            }
        }
        var output: MutationOutput
        switch generated {
        case .success(let o): output = o
        case .failure(let e):
            record.failure = .generation(e.description)
            try? directory.writeText("\(plan.operation)\n(no source: \(e))\n", to: directory.candidateFile(plan.id, .prompt))
            await turns.wait(for: plan.id)
            await turns.pass(plan.id)
            return .failed
        }
        if record.fallback == nil, let usage = output.usage { record.llm = usage }
        record.note = output.note
        try? directory.writeText(output.prompt, to: directory.candidateFile(plan.id, .prompt))
        try? directory.writeText(output.source, to: directory.candidateFile(plan.id, .source))

        var checked = checkRepairing(&output, plan: plan, parents: request?.parents ?? [], file: file, record: &record)
        if case .failure(let failure) = checked, let request, record.llm != nil, isRepairable(failure),
           let repairing = mutator as? any RepairingMutator {
            checked = await repairRound(repairing, output: &output, failure: failure, request: request, plan: plan,
                                        file: file, record: &record)
        }
        var candidate: CheckedCandidate
        switch checked {
        case .failure where children.fallback?.closed != nil:
            return await drop(plan, turns: turns)
        case .failure(let f):
            record.failure = f
            await turns.wait(for: plan.id)
            await turns.pass(plan.id)
            return .failed
        case .success(let c): candidate = c
        }
        // A model child that is its parent again gets the second round instead: the request to make the change.
        if let request, record.llm != nil, record.fallback == nil, record.repairRound == nil,
           let repairing = mutator as? any RepairingMutator {
            let parents = parentStructures(request)
            if parents.contains(candidate.graph.structuralHash) {
                candidate = await revisionRound(repairing, output: &output, candidate: candidate, parents: parents,
                                                request: request, plan: plan, file: file, record: &record)
            }
        }
        if rulesOnly, let cap = children.fillInFlops, candidate.cost.flops > cap { return await drop(plan, turns: turns) }
        // A closing generation's child over its share of the time left would train past the exploring share (the
        // cap steers targeting, but when no variant fits one is made anyway; seen: a 27-MFLOPs child 19 s over).
        if let cap = plannedArchives.value(generation: plan.generation).timeLeftCap, candidate.cost.flops > cap {
            return await drop(plan, turns: turns)
        }
        // The search's time is up (a model run's exchanges were cut): what is not claimed yet is not trained.
        if children.fallback?.closed != nil { return await drop(plan, turns: turns) }

        await turns.wait(for: plan.id)
        let outcome = await claimOrRefill(candidate, plan: plan, request: request, file: file, record: &record)
        await turns.pass(plan.id)
        return outcome
    }

    /// A child dropped untrained: it takes its turn and leaves no folder.
    func drop(_ plan: ChildPlan, turns: CandidateTurns) async -> PreparedChild {
        await turns.wait(for: plan.id)
        await turns.pass(plan.id)
        directory.remove(directory.candidateFolder(plan.id))
        return .dropped
    }

    /// EvoPrompting's few-shot example for a language model: the best archive member that is not a parent, as
    /// the archive stood when the generation was planned (so it does not depend on which sibling finished first).
    func exampleFor(_ plan: ChildPlan) -> Int? {
        children.examples(generation: plan.generation).first { !plan.parents.contains($0) }
    }

    func makeRequest(_ plan: ChildPlan) -> Result<MutationRequest, MutatorError> {
        var parents: [String] = []
        for p in plan.parents {
            guard let s = directory.read(directory.candidateFile(p, .source)) else {
                return .failure(.invalidParent("candidate \(p) has no net.py"))
            }
            parents.append(s)
        }
        let example = children.fallback == nil ? nil
            : exampleFor(plan).flatMap { directory.read(directory.candidateFile($0, .source)) }
        return .success(MutationRequest(operation: plan.operation, parents: parents, temperature: plan.temperature,
                                        seed: SearchRandom(seed: config.seed, 0xC41D, UInt64(plan.id)).state,
                                        example: example))
    }

    /// The mutator's child; with a language model, bounded by the per-child deadline and the breaker, and made
    /// by the rules (with the reason in `record.fallback`) when the endpoint fails.
    func generateGuarded(_ request: MutationRequest, record: inout CandidateRecord) async -> Result<MutationOutput, MutatorError> {
        let mutator = self.mutator
        guard let fallback = children.fallback else { return await Self.call(mutator, request) }
        if let reason = fallback.refusal() {
            record.fallback = reason
            return await Self.call(children.rules, request)
        }
        let clock = Date()
        let outcome = await fallback.withDeadline { await Self.call(mutator, request) }
        fallback.record(outcome)
        switch outcome {
        case .success(let o):
            return .success(o)
        case .failure(.noCode(let m)):
            // A reply without code is the model's failed child, not an endpoint failure.
            record.llm = LLMUsage(replies: 1, seconds: Date().timeIntervalSince(clock))
            return .failure(.noCode(m))
        case .failure(let e):
            record.fallback = e.description
        case nil:
            record.fallback = "no reply within the \(fallback.deadline) s deadline"
        }
        return await Self.call(children.rules, request)
    }

    static func call(_ mutator: any Mutator, _ request: MutationRequest) async -> Result<MutationOutput, MutatorError> {
        do throws(MutatorError) { return .success(try await mutator.generate(request)) } catch { return .failure(error) }
    }

    /// The checks, and when they fail on a mismatched input size of a mutator's child (or a last Linear that does
    /// not output the class count), the same network with the sizes set (emitted as net.py; the reply as reply.py).
    func checkRepairing(_ output: inout MutationOutput, plan: ChildPlan, parents: [String], file: String,
                        record: inout CandidateRecord) -> Result<CheckedCandidate, CandidateFailure> {
        let checked = checker.check(output.source, file: file)
        guard case .failure(let failure) = checked, plan.generation > 0, isRepairable(failure),
              let input = children.repairInput,
              let (repaired, fixed, repairs) = ModelFreeRepair.repair(output.source, file: file, input: input, parents: parents,
                                                                      checker: checker)
        else { return checked }
        try? directory.writeText(output.source, to: directory.candidateFile(plan.id, .reply))
        try? directory.writeText(repaired, to: directory.candidateFile(plan.id, .source))
        output.source = repaired
        record.repairs = (record.repairs ?? []) + repairs
        return .success(fixed)
    }

    func isRepairable(_ failure: CandidateFailure) -> Bool { ModelFreeRepair.isRepairable(failure) }

    /// One round with the model: its own code and the located error go back; the reply is checked again (with
    /// the input-size repair too). `record.repairRound` says `fixed` or `failed`.
    func repairRound(_ repairing: any RepairingMutator, output: inout MutationOutput, failure: CandidateFailure,
                     request: MutationRequest, plan: ChildPlan, file: String,
                     record: inout CandidateRecord) async -> Result<CheckedCandidate, CandidateFailure> {
        let source = output.source
        let error = failure.message
        let attempt: Result<MutationOutput, MutatorError>?
        if let fallback = children.fallback, fallback.refusal() == nil {
            attempt = await fallback.withDeadline {
                do throws(MutatorError) { return .success(try await repairing.repair(source, error: error, request: request)) }
                catch { return .failure(error) }
            }
            fallback.record(attempt)
        } else {
            attempt = nil
        }
        record.repairRound = "failed"
        guard case .success(var fixed)? = attempt else { return .failure(failure) }
        if let usage = fixed.usage { record.llm = (record.llm ?? LLMUsage()) + usage }
        try? directory.writeText(fixed.prompt, to: directory.candidateFile(plan.id, .repairPrompt))
        try? directory.writeText(source, to: directory.candidateFile(plan.id, .reply))
        try? directory.writeText(fixed.source, to: directory.candidateFile(plan.id, .source))
        let checked = checkRepairing(&fixed, plan: plan, parents: request.parents, file: file, record: &record)
        if case .success = checked {
            record.repairRound = "fixed"
            output = fixed
        }
        return checked
    }

    /// The structures of a request's parents (archive members: they pass the checks).
    func parentStructures(_ request: MutationRequest) -> Set<String> {
        Set(request.parents.compactMap { source -> String? in
            guard case .success(let c) = checker.check(source, file: "parent.py") else { return nil }
            return c.graph.structuralHash
        })
    }

    /// The second round for a model child that repeats its parent: its code goes back with the instruction, once.
    /// A revision that passes the checks (repairs included) and is none of the parents replaces the child;
    /// otherwise the child stays as it was (and is then skipped as a duplicate). `record.revision` says
    /// `changed`, `unchanged` or `failed`.
    func revisionRound(_ repairing: any RepairingMutator, output: inout MutationOutput, candidate: CheckedCandidate,
                       parents: Set<String>, request: MutationRequest, plan: ChildPlan, file: String,
                       record: inout CandidateRecord) async -> CheckedCandidate {
        record.revision = "failed"
        guard let fallback = children.fallback, fallback.refusal() == nil else { return candidate }
        let source = output.source
        let attempt = await fallback.withDeadline {
            do throws(MutatorError) { return .success(try await repairing.reviseUnchanged(source, request: request)) }
            catch { return .failure(error) }
        }
        fallback.record(attempt)
        guard case .success(var revised)? = attempt else { return candidate }
        if let usage = revised.usage { record.llm = (record.llm ?? LLMUsage()) + usage }
        let repairsBefore = record.repairs
        let reply = directory.read(directory.candidateFile(plan.id, .reply))
        let checked = checkRepairing(&revised, plan: plan, parents: request.parents, file: file, record: &record)
        guard case .success(let c) = checked, !parents.contains(c.graph.structuralHash) else {
            if case .success = checked { record.revision = "unchanged" }
            // The child stays as it was: its files and repairs too.
            record.repairs = repairsBefore
            try? directory.writeText(source, to: directory.candidateFile(plan.id, .source))
            if let reply { try? directory.writeText(reply, to: directory.candidateFile(plan.id, .reply)) }
            else { directory.remove(directory.candidateFile(plan.id, .reply)) }
            return candidate
        }
        record.revision = "changed"
        try? directory.writeText(revised.prompt, to: directory.candidateFile(plan.id, .repairPrompt))
        if record.repairs == repairsBefore {
            // Taken as written: the first child stays as reply.py (repaired, checkRepairing wrote both files).
            record.repairs = nil
            try? directory.writeText(source, to: directory.candidateFile(plan.id, .reply))
            try? directory.writeText(revised.source, to: directory.candidateFile(plan.id, .source))
        } else {
            record.repairs = Array((record.repairs ?? []).dropFirst(repairsBefore?.count ?? 0))
        }
        output = revised
        return c
    }

    /// Registers the child's structure, or logs it as a duplicate and fills the slot with a rule child that
    /// repeats nothing (up to `ChildServices.ruleRetries` seeds).
    func claimOrRefill(_ candidate: CheckedCandidate, plan: ChildPlan, request: MutationRequest?, file: String,
                       record: inout CandidateRecord) async -> PreparedChild {
        var candidate = candidate
        var structure = candidate.graph.structuralHash
        var by = record.llm != nil && record.fallback == nil ? "model" : "rules"
        var tries = 0
        while true {
            guard let owner = children.structures.claim(structure, by: plan.id) else {
                record.structure = structure
                return .train(candidate)
            }
            let duplicate = DuplicateRecord(id: plan.id, generation: plan.generation, operation: plan.operation,
                                            parents: plan.parents, duplicateOf: owner, structure: structure, by: by,
                                            llm: by == "model" ? record.llm : nil, time: CandidateRecord.now())
            do { try log.append(duplicate) } catch { warn("\(error)") }
            var next: (MutationOutput, CheckedCandidate)? = nil
            while next == nil, tries < ChildServices.ruleRetries, var retry = request {
                retry.seed = SearchRandom(seed: retry.seed, 0xD0B, UInt64(tries)).state
                tries += 1
                if case .success(let output) = await Self.call(children.rules, retry),
                   case .success(let checked) = checker.check(output.source, file: file) {
                    next = (output, checked)
                }
            }
            guard let (output, checked) = next else { break }
            if by == "model" { record.fallback = "the model's child repeats #\(owner)" }
            by = "rules"
            record.llm = nil; record.repairs = nil; record.repairRound = nil
            record.note = output.note
            try? directory.writeText(output.prompt, to: directory.candidateFile(plan.id, .prompt))
            try? directory.writeText(output.source, to: directory.candidateFile(plan.id, .source))
            candidate = checked
            structure = checked.graph.structuralHash
        }
        return .duplicate
    }
}
