import Foundation
import NetIR

/// Aims rule children at the archive's gaps. A rule child is cheap to make, so `variants` are made from one
/// request (different edit seeds) and their niches predicted from their cost before any training. Half of
/// the requests compete with elites (the variant kept lands in a filled niche); the other half explore: they
/// aim at one empty niche near the parent (`target`, one of the `nearestGaps` empty centroids closest to
/// it, chosen by the request's seed so sibling requests spread), and keep a variant that lands in an empty
/// niche, the one nearest the target; when none does, the variant nearest the target, so repeated steps
/// walk towards the gap. Measured: without aiming most children repeated their parent's niche (14% of 100
/// niches after 100 children); the first-empty-variant rule alone left the children in one cluster (16% of 50
/// niches after 36 explore children in `scripts/run`). Variants predicted to overrun the per-child time
/// budget, or repeating a network already made (it would be skipped as a duplicate and its slot refilled
/// untargeted), or costing more than `growthFactor` times the costliest archive network, are not kept while
/// another variant is; when every variant is so refused, a cheaper edit of the parent (`cheapeners`) that fits
/// is made instead.
public enum NicheTargeting {
    public static let variants = 6
    /// Exploring requests spread over this many of the empty niches nearest their parent.
    public static let nearestGaps = 3
    /// The edits an exploring mutation falls back on when no variant of its own instruction lands in an empty
    /// niche, `moverVariants` each: those that move a network farthest in the box (mean step from parent to
    /// child over two `scripts/run` runs: add-conv 0.16, add-linear 0.15, grow 0.14, shrink 0.13, against 0.005-0.05
    /// for residuals, pooling and delete-layer, which left 84 children in 18 of 50 niches). The child is then
    /// recorded under the instruction that made it, so the prompt archive credits the right one.
    public static let movers: [MutationInstruction] = [.grow, .shrink, .addConvolution, .addLinear]
    public static let moverVariants = 2
    /// The edits a request falls back on when every variant of its own is predicted to overrun the time budget
    /// (the trainer would refuse the child unstarted), `moverVariants` each: those that make a network cheaper.
    /// Measured (`scripts/run` seed 0 with a 20-s child budget): 20 of 56 children were refused so, nearly all
    /// grow, add-linear, add-conv and improve requests on parents already near the budget.
    public static let cheapeners: [MutationInstruction] = [.shrink, .addPooling, .deleteLayer]

    /// Whether this request aims at an empty niche: every other request seed, so the two aims alternate.
    public static func wantsEmpty(seed: UInt64) -> Bool { seed & 1 == 0 }

    /// The empty centroid an exploring request from a parent at `parent` aims at (nil when no niche is empty).
    public static func target(parent: [Double], centroids: [[Double]], occupied: Set<Int>, seed: UInt64) -> [Double]? {
        let gaps = centroids.indices.filter { !occupied.contains($0) }
            .sorted { (distance(centroids[$0], parent), $0) < (distance(centroids[$1], parent), $1) }
        guard !gaps.isEmpty else { return nil }
        let pick = Int((seed >> 1) % UInt64(min(nearestGaps, gaps.count)))
        return centroids[gaps[pick]]
    }

    /// One variant as targeting sees it: its predicted niche and descriptor (nil when it does not check).
    public struct Variant: Sendable, Equatable {
        public var niche: Int
        public var descriptor: [Double]
        public init(niche: Int, descriptor: [Double]) { self.niche = niche; self.descriptor = descriptor }
    }

    /// The index of the variant to keep. Wanting a filled niche: the first variant in one. Wanting an empty
    /// one: among variants in empty niches the one nearest `target` (the first without a target); else the
    /// variant nearest `target`. Otherwise the first known variant; nil when none is known.
    public static func choose(_ variants: [Variant?], occupied: Set<Int>, wantEmpty: Bool, target: [Double]? = nil) -> Int? {
        let known = variants.indices.filter { variants[$0] != nil }
        func nearest(_ among: [Int]) -> Int? {
            guard let target else { return among.first }
            return among.min { (distance(variants[$0]!.descriptor, target), $0) < (distance(variants[$1]!.descriptor, target), $1) }
        }
        if wantEmpty {
            if let i = nearest(known.filter { !occupied.contains(variants[$0]!.niche) }) { return i }
            return nearest(known)
        }
        return known.first { occupied.contains(variants[$0]!.niche) } ?? known.first
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    /// The edit seed of variant `k` of a request (variant 0 is the request's own seed).
    public static func seed(_ base: UInt64, variant k: Int) -> UInt64 { base &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15 }
}

extension SearchEngine {
    /// Whether children are made by `targetedRuleChild`: free-form runs of the rule mutator.
    var targetsNiches: Bool { mutator is RuleMutator && config.space == nil && children.fallback == nil }

    /// A rule child aimed by `NicheTargeting` (other mutators and NAS-Bench-201 runs: the mutator's child).
    /// An exploring mutation none of whose variants lands in an empty niche may be made by one of
    /// `NicheTargeting.movers` instead; `record.operation` then names that instruction.
    func targetedRuleChild(_ request: MutationRequest, record: inout CandidateRecord) async -> Result<MutationOutput, MutatorError> {
        guard targetsNiches, let rules = mutator as? RuleMutator else { return await Self.call(mutator, request) }
        return aimedRuleChild(rules, request, planned: plannedArchives.value(generation: record.generation), record: &record)
    }

    /// A fill-in of a model run (`ChildOrigin.modelBusy`), aimed like a rule run's child against its generation's
    /// planned archive, within the fill-in cap (`ChildServices.fillInFlops`) instead of that generation's. Made
    /// plainly, most fill-ins of a run's first minutes (a 19-K-FLOPs seed, `grow` and `add-conv` requests) were
    /// over the cap and dropped, and after three drops in a row the trainer idled until the model's first
    /// generation was in: 160 s of a 280-s exploring share in one run.
    func fillInChild(_ request: MutationRequest, record: inout CandidateRecord) async -> Result<MutationOutput, MutatorError> {
        guard config.space == nil, let rules = children.rules as? RuleMutator else { return await Self.call(children.rules, request) }
        var planned = plannedArchives.value(generation: record.generation)
        planned.flopsCap = children.fillInFlops
        return aimedRuleChild(rules, request, planned: planned, record: &record)
    }

    /// `NicheTargeting`'s choice among variants of `request` made by `rules`, with `planned`'s filled niches and cap.
    func aimedRuleChild(_ rules: RuleMutator, _ request: MutationRequest, planned: PlannedArchives.View,
                        record: inout CandidateRecord) -> Result<MutationOutput, MutatorError> {
        let occupied = planned.occupied
        let wantEmpty = NicheTargeting.wantsEmpty(seed: request.seed)
        let made = ruleVariants(rules, request, count: NicheTargeting.variants)
        let target = wantEmpty ? request.parents.first.flatMap(predictedCost).map(predictedVariant).flatMap {
            NicheTargeting.target(parent: $0.descriptor, centroids: state.networks.centroids, occupied: occupied, seed: request.seed)
        } : nil
        var variants = fitting(made.costs, cap: planned.flopsCap)
        var outputs = made.outputs
        var operations = [Variation](repeating: request.operation, count: outputs.count)
        let reachesGap = variants.contains { $0.map { !occupied.contains($0.niche) } ?? false }
        if wantEmpty, !reachesGap, case .mutation = request.operation {
            for m in NicheTargeting.movers where Variation.mutation(m) != request.operation {
                var r = request
                r.operation = .mutation(m)
                let more = ruleVariants(rules, r, count: NicheTargeting.moverVariants)
                // Only a mover variant that lands in a gap may replace the request's own.
                for (o, v) in zip(more.outputs, fitting(more.costs, cap: planned.flopsCap)) where v.map({ !occupied.contains($0.niche) }) ?? false {
                    outputs.append(o); variants.append(v); operations.append(r.operation)
                }
            }
        }
        if !made.costs.isEmpty, !fitsAny(made.costs, cap: planned.flopsCap) {
            // Every variant is refused (time budget or growth cap): a cheaper edit of the same parent that fits.
            var cheaper: [(MutationOutput, NicheTargeting.Variant, Variation)] = []
            for m in NicheTargeting.cheapeners where Variation.mutation(m) != request.operation {
                var r = request
                r.operation = .mutation(m)
                let more = ruleVariants(rules, r, count: NicheTargeting.moverVariants)
                for (o, c) in zip(more.outputs, more.costs) {
                    if let c, fitsAny([c], cap: planned.flopsCap) { cheaper.append((o, predictedVariant(c), r.operation)) }
                }
            }
            if !cheaper.isEmpty {
                outputs = cheaper.map(\.0); variants = cheaper.map(\.1); operations = cheaper.map(\.2)
            }
        }
        guard !outputs.isEmpty else { return .failure(made.error ?? .notApplicable("no rule child")) }
        let pick = NicheTargeting.choose(variants, occupied: occupied, wantEmpty: wantEmpty, target: target) ?? 0
        record.operation = operations[pick]
        return .success(outputs[pick])
    }

    /// `count` rule variants of a request, one per edit seed (`NicheTargeting.seed`). A variant whose network was
    /// already made, or that does not check, has no cost (targeting passes it over).
    func ruleVariants(_ rules: RuleMutator, _ request: MutationRequest,
                      count: Int) -> (outputs: [MutationOutput], costs: [NetworkCost?], error: MutatorError?) {
        var outputs: [MutationOutput] = [], costs: [NetworkCost?] = []
        var firstError: MutatorError?
        for k in 0..<count {
            var r = request
            r.seed = NicheTargeting.seed(request.seed, variant: k)
            do throws(MutatorError) {
                let o = try rules.generateNow(r)
                outputs.append(o)
                let graph = try? checker.codec.parse(o.source, "child.py")
                // A network already made would be skipped as a duplicate: as good as no variant.
                costs.append(graph.flatMap { children.structures.contains($0.structuralHash) ? nil : try? $0.cost() })
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        return (outputs, costs, firstError)
    }

    /// The variants as targeting sees them: variants predicted to overrun the time budget are refused unstarted
    /// by the trainer, and variants over the growth cap are not worth their time, so while one is admissible,
    /// those that are not are left out (nil).
    func fitting(_ costs: [NetworkCost?], cap: Int?) -> [NicheTargeting.Variant?] {
        var variants = costs.map { $0.map(predictedVariant) }
        let fits = costs.map { $0.map { admissible($0, cap: cap) } ?? true }
        if fits.contains(true) { for i in fits.indices where !fits[i] { variants[i] = nil } }
        return variants
    }

    /// Whether any of these costs is `admissible`.
    func fitsAny(_ costs: [NetworkCost?], cap: Int?) -> Bool { costs.contains { $0.map { admissible($0, cap: cap) } ?? false } }

    /// Whether a rule child of this cost is worth making: predicted to fit the time budget (always without a
    /// trainer or a budget), and within the growth cap of its generation (`growthFlopsCap`; nil: none).
    func admissible(_ cost: NetworkCost, cap: Int?) -> Bool {
        if let trainer = evaluator as? TrainerEvaluator, !trainer.fitsBudget(cost) { return false }
        if let cap, cost.flops > cap { return false }
        return true
    }

    /// A network's cost from its source (nil when it does not check): one parse serves niche and budget.
    func predictedCost(_ source: String) -> NetworkCost? {
        (try? checker.codec.parse(source, "child.py")).flatMap { try? $0.cost() }
    }

    /// Where a network of this cost would land.
    func predictedVariant(_ cost: NetworkCost) -> NicheTargeting.Variant {
        let d = CVTArchive<NetworkElite>.clamp(config.descriptors.descriptor(cost))
        return NicheTargeting.Variant(niche: state.networks.niche(for: d), descriptor: d)
    }
}

/// The archive as each generation was planned (its filled niches, and the growth cap of its rule children), read
/// by its children made concurrently: with overlapped generations, or several devices, the live archive changes
/// while a generation's children are made, at moments that depend on timing; a snapshot keeps the children the
/// same on one device and on many.
final class PlannedArchives: @unchecked Sendable {
    struct View: Sendable {
        var occupied: Set<Int> = []
        var flopsCap: Int? = nil
        /// A closing generation's cap (`SearchEngine.timeLeftFlopsCap`): a child over it is not trained.
        var timeLeftCap: Int? = nil
    }
    private let lock = NSLock()
    private var byGeneration: [Int: View] = [:]
    func set(_ view: View, generation: Int) { lock.withLock { byGeneration[generation] = view } }
    func value(generation: Int) -> View { lock.withLock { byGeneration[generation] ?? View() } }
}
