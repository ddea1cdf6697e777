// The options of `search` turned into a SearchConfig and backends, and the final test of the best network.
import CPUBackend
import Engine
import Foundation
import Search

enum SearchSetup {
    static func config(_ args: ParsedArguments) throws -> SearchConfig {
        let evaluations = try args.optionalInt("evaluations", minimum: 1)
        let generations = try args.optionalInt("generations", minimum: 0)
        guard evaluations != nil || generations != nil else {
            throw UsageError("give --evaluations N or --generations G (or both) to bound the search")
        }
        var config = SearchConfig(data: args.string("data") ?? "fashion-mnist", seed: try args.uint64("seed", default: 0),
                                  evaluations: evaluations, generations: generations,
                                  batch: try args.int("batch", default: 4, minimum: 1))
        let niches = try args.int("niches", default: 100, minimum: 1)
        config.niches = niches
        config.promptNiches = niches
        config.initialNetworks = try args.int("initial", default: 10, minimum: 1)
        config.fitness = FitnessMetric(rawValue: args.string("fitness") ?? "accuracy") ?? .accuracy
        config.seedNetwork = args.string("net") ?? "initial"
        config.limits = SearchLimits(maxParameters: try args.int("max-params", default: 5_000_000, minimum: 1),
                                     maxFlops: try args.int("max-flops", default: 300_000_000, minimum: 1),
                                     maxActivations: try args.int("max-activations", default: 2_000_000, minimum: 1))
        if args.string("time-limit") != nil { config.timeLimit = try args.double("time-limit", default: 0, range: 1...1e8) }
        config.finalEpochs = try args.int("final-epochs", default: 0, minimum: 0)
        let budget = args.string("time-budget") == nil ? nil : try args.double("time-budget", default: 0, range: 1...1e7)
        config.training = TrainingSettings(epochs: try args.int("epochs", default: 1, minimum: 0),
                                           maxSteps: try args.optionalInt("max-steps", minimum: 1),
                                           batchSize: try args.int("batch-size", default: 128, minimum: 1),
                                           learningRate: try args.double("lr", default: 0.05, range: 0...1e3),
                                           validationFraction: try args.double("validation", default: 0.1, range: 0.001...0.9),
                                           timeBudget: budget,
                                           warmupFraction: try args.double("warmup-fraction", default: TrainingSettings.defaultWarmupFraction, range: 0...1))
        if let endpoint = try LocalLLMOption.endpoint(args) {
            config.mutator = MutatorSettings(kind: .llm, llm: LLMConfig(
                baseURL: endpoint.url, model: endpoint.model, api: LLMConfig.API(rawValue: args.string("llm-api") ?? "chat") ?? .chat,
                apiKeyVariable: args.string("api-key-env") ?? "OPENAI_API_KEY",
                timeoutSeconds: try args.double("llm-timeout", default: 120, range: 1...3600),
                retries: try args.int("llm-retries", default: 4, minimum: 0),
                concurrency: try args.int("llm-concurrency", default: endpoint.concurrency, minimum: 1)))
        }
        return config
    }

    /// One backend per listed device: each becomes one worker of the pool.
    static func backends(_ args: ParsedArguments) throws -> [any Backend] {
        let threads = try args.int("threads", default: CPUBackend.defaultThreads, minimum: 1)
        let specs = (args.string("device") ?? "auto").split(separator: ",").map(String.init)
        guard !specs.isEmpty else { throw UsageError("--device needs a value") }
        let tune: Bool? = args.flag("no-tune") ? false : nil
        return try specs.map { try DeviceSelection(parsing: $0).makeBackend(threads: threads, tune: tune) }
    }

    /// Tests the best network (after `epochs` more of training when asked); final.json gets the details.
    static func finish(_ engine: SearchEngine, epochs: Int) throws -> FinalResults? {
        if epochs > 0 {
            print("training the best network \(epochs) more epoch(s)...")
            Console.flush()
        }
        let final = try Blocking.wait {
            await engine.finalize(epochs: epochs) { p in
                // Live on a terminal; otherwise a line per epoch (a plain log would get one per metrics read).
                let line = "  " + TrainReport.progressLine(p, learningRate: false)
                if Console.isTerminal {
                    Console.live(line)
                    if p.step == p.totalSteps { Console.endLive() }
                } else if p.endOfEpoch {
                    print(line)
                    Console.flush()
                }
            }
        }
        if let f = final?.failure { Console.error("warning: final evaluation of the best network failed: \(f)") }
        if let f = final, let before = f.testAccuracy, let after = f.finalTestAccuracy {
            print("best #\(f.candidate): test accuracy \(String(format: "%.4f", before)) with its search weights, \(String(format: "%.4f", after)) after \(f.epochs) more epoch(s)")
        }
        return final
    }
}
