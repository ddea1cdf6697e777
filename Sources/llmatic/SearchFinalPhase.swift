// The end of a `--run-time` search: promotion of the fittest few, then the final network retrained from
// scratch in the time left (Search's RunTimeSplit, PromotionRule, FinalRecipe).
import Foundation
import Search

enum SearchFinalPhase {
    static func run(_ engine: SearchEngine, config: SearchConfig, runStart: Date, summary: inout SearchSummary) throws {
        guard let total = config.runTime else { return }
        let split = RunTimeSplit(total: total)
        let promoteSeconds = split.searchSeconds - Date().timeIntervalSince(runStart)
        print(String(format: "promoting the fittest networks (%.0f s)...", max(promoteSeconds, 0)))
        Console.flush()
        // The final retrain starts when the search share ends (promotions stop there).
        let finalSeconds = split.finalSeconds(elapsed: split.searchSeconds)
        let promotions = try Blocking.wait { await engine.promote(seconds: promoteSeconds, finalSeconds: finalSeconds) }
        for p in promotions {
            print(String(format: "  #%d: validation %.4f at %d steps -> %.4f at %d steps (%.0f s)", p.candidate, p.exploreAccuracy,
                         p.exploreSteps, p.promotedAccuracy, p.promotedSteps, p.seconds))
        }
        let retrainSeconds = split.finalSeconds(elapsed: Date().timeIntervalSince(runStart))
        print(String(format: "retraining the best network from scratch (%.0f s)...", retrainSeconds))
        Console.flush()
        let final = try Blocking.wait {
            await engine.finalNetwork(seconds: retrainSeconds, promotions: promotions) { p in
                if p.endOfEpoch {
                    print("  " + TrainReport.progressLine(p, learningRate: false))
                    Console.flush()
                }
            }
        }
        if let f = final {
            if let failure = f.failure { Console.error("warning: final network: \(failure)") }
            if let r = f.retrain {
                let width = (f.widthFactor.map { $0 == 1 ? "" : String(format: ", %gx as wide", $0) } ?? "")
                    + (f.learningRateScale.map { String(format: ", learning rate x%g after diverging", $0) } ?? "")
                print(String(format: "final network #%d (\(f.chosenBy)\(width)): %d epochs\(r.augmented ? " with crop+flip" : ""), best validation %.4f at epoch %d, test accuracy %.4f",
                             f.candidate, r.epochs, r.validationAccuracy,
                             r.bestEpoch, r.testAccuracy))
            }
            if let k = f.kept {
                let against = f.retrain.map { String(format: " against the retrain's %.4f", $0.validationAccuracy) } ?? ""
                print(String(format: "final network #%d ships with the search's \(k.from) weights: validation %.4f\(against), test accuracy %.4f",
                             f.candidate, k.validationAccuracy, k.testAccuracy))
            }
            summary.final_test_accuracy = f.testAccuracy
            summary.final_source = f.source
            summary.final_weights = f.weights
        }
        summary.run_seconds = Date().timeIntervalSince(runStart)
    }
}
