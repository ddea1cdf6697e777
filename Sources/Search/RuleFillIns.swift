import Foundation
import NetIR

/// Why a child was made by the rules in the model's place. `modelBusy` children are fill-ins: a trainer
/// worker was idle and no model child was ready, so the rules made one from the archives as they stood then.
/// They are counted apart from fallbacks (endpoint failures) in the yield.
public enum ChildOrigin {
    public static let modelBusy = "model-busy"
}

/// How many children hold a trainer worker: children in `WorkerPool.evaluate` (training or queued for a
/// device), plus fill-ins from the moment they are planned (so two idle checks in a row do not plan two
/// fill-ins for one worker). Every change that may free a worker wakes the search loop through `wake`;
/// nothing polls.
actor TrainerOccupancy {
    let workers: Int
    private var busy = 0
    private let wake: @Sendable () -> Void

    init(workers: Int, wake: @escaping @Sendable () -> Void) { self.workers = max(workers, 1); self.wake = wake }

    /// Takes a worker for a fill-in when one is idle.
    func reserve() -> Bool {
        guard busy < workers else { return false }
        busy += 1
        return true
    }

    func enter() { busy += 1 }

    func leave() {
        busy -= 1
        if busy < workers { wake() }
    }
}

extension SearchEngine {
    /// A child's training with its worker counted (fill-ins hold their reservation for the whole child instead).
    /// nil: not started, the search's time being up by the time a device was free (`trainingGate`).
    func evaluateCounted(_ job: EvaluationJob, cost: NetworkCost, fillIn: Bool) async
        -> Result<CandidateMetrics, CandidateFailure>? {
        let gate = trainingGate(cost)
        guard let occupancy = occupancy, !fillIn else { return await pool.evaluate(job, startingIf: gate) }
        await occupancy.enter()
        let result = await pool.evaluate(job, startingIf: gate)
        await occupancy.leave()
        return result
    }

    /// The plan of the `serial`-th fill-in: one child as the rules would be asked for it in a generation of its
    /// own (its random stream is keyed by `serial`, apart from the model generations'), filed under `generation`.
    func fillInPlan(serial: Int, generation: Int, id: Int) -> ChildPlan {
        var plan = state.plan(generation: Self.fillInKeyBase + serial, count: 1, firstID: id, config: config)[0]
        plan.generation = generation
        return plan
    }

    /// A rule child (a fill-in, or any child of the rule mutator) may cost up to this many times the forward
    /// FLOPs of the costliest archive network. Fill-ins: one with 33x the FLOPs of anything before it trained
    /// 170 s in a smoke search while finished model children waited for the worker. Rule runs: in this
    /// session's paired `scripts/run` runs (seeds 0 and 1), the model runs' capped fill-ins made 52 and 57
    /// evaluations and reached 0.9085 and 0.9057 best validation, where the uncapped rule runs made 17 and 29
    /// (a `grow` jumped from 75 K to 5.7 M FLOPs, 32 s a child) and reached 0.8845 and 0.8970; the model's own
    /// children were in neither winning lineage. The model's own children are never capped.
    static let growthFactor = 4

    /// The cap for rule children planned now (nil while the archive is empty).
    func growthFlopsCap() -> Int? {
        state.networks.ranked.map(\.payload.cost.flops).max().map { $0 * Self.growthFactor }
    }

    /// Keys fill-ins' random streams far above any model generation's.
    static let fillInKeyBase = 1 << 40
}
