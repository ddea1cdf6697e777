// What `search` prints: a header, a live status line after every candidate (redrawn on a terminal, one
// line per candidate otherwise), and the result (with --json a last line of JSON).
import Foundation
import Search

final class SearchStatusLine: @unchecked Sendable {
    let json: Bool
    private let lock = NSLock()
    private var live = false

    init(json: Bool) { self.json = json }

    func header(config: SearchConfig, directory: RunDirectory, devices: [String], mutator: String, resumed: Int) {
        let budget = [config.evaluations.map { "\($0) evaluations" }, config.generations.map { "\($0) generations" }]
            .compactMap { $0 }.joined(separator: ", ")
        print("search: \(config.data), seed network \(config.seedNetwork), mutator \(mutator), \(budget), batch \(config.batch)")
        print("training: \(config.training.epochs) epoch(s)\(config.training.maxSteps.map { ", at most \($0) steps" } ?? ""), batch size \(config.training.batchSize), lr \(config.training.learningRate)")
        print("devices: \(devices.joined(separator: "; "))")
        print("run folder: \(directory.root)\(resumed > 0 ? " (resuming after \(resumed) candidates)" : "")")
        Console.flush()
    }

    func update(_ s: SearchStatus) {
        let best = s.bestAccuracy.map { String(format: "%.4f", $0) } ?? "-"
        let line = "gen \(s.generation)  evals \(s.evaluations)  coverage \(String(format: "%.0f%%", s.coverage * 100))  "
            + "best \(best)  failures \(s.failures)  \(String(format: "%.0f", s.evaluationsPerHour)) evals/h  "
            + "\(Console.duration(s.elapsed))  | \(s.last)"
        lock.withLock {
            if Console.isTerminal {
                Console.live(line)
                live = true
            } else {
                print(line)
                Console.flush()
            }
        }
    }

    func finish() {
        lock.withLock {
            if live { Console.endLive(); live = false }
        }
    }

    /// One prompt's yield in the `--json` line.
    static func yieldJSON(_ y: YieldCounts) -> JSON {
        .object([("replies", .int(y.replies)), ("parsed", .int(y.parsed)), ("duplicates", .int(y.duplicates)),
                 ("repaired", .int(y.repaired)), ("model_trained", .int(y.modelTrained)), ("model_entered", .int(y.modelEntered)),
                 ("model_best_fitness", y.modelBestFitness.map { .number($0) } ?? .null),
                 ("model_best_accuracy", y.modelBestAccuracy.map { .number($0) } ?? .null),
                 ("valid_rate", y.validRate.map { .number($0) } ?? .null), ("fill_ins", .int(y.fillIns)),
                 ("fill_ins_entered", .int(y.fillInsEntered)), ("fallbacks", .int(y.fallbacks)),
                 ("llm_seconds", .number(y.llmSeconds))])
    }

    func result(_ s: SearchSummary) {
        print("evaluations \(s.evaluations), failures \(s.failures), archive coverage \(String(format: "%.1f%%", s.coverage * 100))")
        if let a = s.best_accuracy {
            let test = s.best_test_accuracy.map { String(format: ", test accuracy %.4f", $0) } ?? ""
            print("best: candidate #\(s.best_candidate ?? 0), validation accuracy \(String(format: "%.4f", a))\(test)")
        }
        if let cell = s.best_cell { print("best cell: \(cell)") }
        print(String(format: "search overhead: %.1f%% of worker time (everything but training and validation)", s.overhead * 100))
        if let rate = s.llm_valid_rate {
            print(String(format: "model: %.0f%% of replies trained or skipped as duplicates, %d duplicates, %d repaired, %.0f s in the model",
                         rate * 100, s.duplicates, s.repairs, s.llm_seconds))
            print("children: \(s.model_children) by the model, \(s.fill_ins) rule fill-ins trained while the model wrote")
        }
        print(String(format: "QD-score %.3f (sum of fitness over filled niches)", s.qd_score))
        if let f = s.final_test_accuracy {
            print(String(format: "final network: test accuracy %.4f, whole run %.0f s: ", f, s.run_seconds ?? 0)
                  + "\(s.final_source ?? "?") + \(s.final_weights ?? "no weights")")
        }
        print("report: \(s.report)")
        if json {
            let fields: [(String, JSON)] = [
                ("evaluations", .int(s.evaluations)), ("failures", .int(s.failures)), ("coverage", .number(s.coverage)),
                ("best_accuracy", s.best_accuracy.map { .number($0) } ?? .null),
                ("best_test_accuracy", s.best_test_accuracy.map { .number($0) } ?? .null),
                ("best_candidate", s.best_candidate.map { .int($0) } ?? .null),
                ("best_cell", s.best_cell.map { .string($0) } ?? .null),
                ("generations", .int(s.generations)), ("seconds", .number(s.seconds)),
                ("overhead", .number(s.overhead)),
                ("llm_valid_rate", s.llm_valid_rate.map { .number($0) } ?? .null), ("duplicates", .int(s.duplicates)),
                ("repairs", .int(s.repairs)), ("llm_seconds", .number(s.llm_seconds)),
                ("model_children", .int(s.model_children)), ("fill_ins", .int(s.fill_ins)),
                ("yield_by_prompt", .object(s.yield_by_prompt.sorted { $0.key < $1.key }.map { ($0.key, Self.yieldJSON($0.value)) })),
                ("report", .string(s.report)), ("directory", .string(s.directory)), ("qd_score", .number(s.qd_score)),
                ("final_test_accuracy", s.final_test_accuracy.map { .number($0) } ?? .null),
                ("final_source", s.final_source.map { .string($0) } ?? .null),
                ("final_weights", s.final_weights.map { .string($0) } ?? .null),
                ("run_seconds", s.run_seconds.map { .number($0) } ?? .null),
            ]
            print(JSON.object(fields).text)
        }
        Console.flush()
    }
}
