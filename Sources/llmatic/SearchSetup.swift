// The options of `search` turned into a SearchConfig and backends, and the final test of the best network.
import CPUBackend
import Data
import Engine
import Foundation
import Search
import Train

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
        let niches = try args.int("niches", default: 100, minimum: 1, maximum: SearchConfig.maxNiches)
        config.niches = niches
        config.promptNiches = niches
        config.space = try space(args)
        config.algorithm = args.string("algorithm").flatMap(SearchAlgorithm.init(rawValue:)) ?? .standard
        // On NAS-Bench-201 a repeated cell does not count, so LLMatic's seed-only start (until the archive holds
        // `initial` networks or 2 x `initial` evaluations were made) can exhaust the seed's neighbourhood first:
        // measured on cifar10.json, seed 0, 10 stalled at 19 distinct cells; 5 reached 200. Elite-curious ends
        // that phase at 40% of `initial` and needs no change.
        let shortStart = config.space != nil && config.algorithm == .llmatic
        config.initialNetworks = try args.int("initial", default: shortStart ? 5 : 10, minimum: 1)
        config.fitness = FitnessMetric(rawValue: args.string("fitness") ?? "accuracy") ?? .accuracy
        config.seedNetwork = args.string("net") ?? (config.space != nil ? NetworkLoading.nb201Prefix + NB201SpaceSettings.defaultSeedCell : "initial")
        // NAS-Bench-201's largest cell (all 3x3 convolutions) needs 443 M FLOPs and 3.2 M activation floats per
        // 32x32 image (measured with `llmatic check`), more than the free-form defaults allow.
        let big = config.space != nil
        config.limits = SearchLimits(maxParameters: try args.int("max-params", default: 5_000_000, minimum: 1),
                                     maxFlops: try args.int("max-flops", default: big ? 1_000_000_000 : 300_000_000, minimum: 1),
                                     maxActivations: try args.int("max-activations", default: big ? 8_000_000 : 2_000_000, minimum: 1))
        if args.string("time-limit") != nil { config.timeLimit = try args.double("time-limit", default: 0, range: SearchConfig.timeLimitRange) }
        config.finalEpochs = try args.int("final-epochs", default: 0, minimum: 0)
        if args.string("run-time") != nil {
            let total = try args.double("run-time", default: 0, range: SearchConfig.timeLimitRange)
            config.runTime = total
            // Children are started until exploring ends; promotion and the final network take the rest.
            if config.timeLimit == nil { config.timeLimit = RunTimeSplit(total: total).exploreSeconds }
        }
        var budget = args.string("time-budget") == nil ? nil : try args.double("time-budget", default: 0, range: SearchConfig.timeBudgetRange)
        if budget == nil, let total = config.runTime { budget = max(SearchConfig.timeBudgetRange.lowerBound, RunTimeSplit(total: total).childSeconds) }
        config.training = TrainingSettings(epochs: try args.int("epochs", default: 1, minimum: 0, maximum: TrainingConfig.maxEpochs),
                                           maxSteps: try args.optionalInt("max-steps", minimum: 1, maximum: TrainingConfig.maxSteps),
                                           batchSize: try args.int("batch-size", default: 128, minimum: 1, maximum: TrainingConfig.maxBatchSize),
                                           learningRate: try args.double("lr", default: 0.05, range: SearchConfig.learningRateRange),
                                           validationFraction: try args.double("validation", default: 0.1, range: SearchConfig.validationRange),
                                           timeBudget: budget,
                                           warmupFraction: try args.double("warmup-fraction", default: TrainingSettings.defaultWarmupFraction, range: SearchConfig.warmupRange))
        if let endpoint = try LocalLLMOption.endpoint(args) {
            if let problem = LLMConfig.urlProblem(endpoint.url) { throw UsageError("invalid value for --llm-url: it \(problem)") }
            config.mutator = MutatorSettings(kind: .llm, llm: LLMConfig(
                baseURL: endpoint.url, model: endpoint.model, api: LLMConfig.API(rawValue: args.string("llm-api") ?? "chat") ?? .chat,
                apiKeyVariable: args.string("api-key-env") ?? "OPENAI_API_KEY",
                timeoutSeconds: try args.double("llm-timeout", default: 120, range: SearchConfig.llmTimeoutRange),
                retries: try args.int("llm-retries", default: 4, minimum: 0, maximum: SearchConfig.llmRetriesRange.upperBound),
                concurrency: try args.int("llm-concurrency", default: endpoint.concurrency, minimum: 1, maximum: SearchConfig.llmConcurrencyRange.upperBound),
                childDeadlineSeconds: args.string("llm-deadline") == nil ? nil
                    : try args.double("llm-deadline", default: 0, range: 0.1...36000)))
            // The local server's models are small (0.5B-1.5B): they follow the prompt far better when cooler.
            let scale = try args.double("llm-temperature-scale", default: args.flag("llm") ? LLMConfig.smallModelTemperatureScale : 1,
                                        range: 0.01...2)
            config.mutator.llm?.temperatureScale = scale == 1 ? nil : scale
            config.mutator.llm?.promptStyle = args.string("llm-prompt")
            if args.flag("llm") { config.mutator.llm?.maxTokens = LLMConfig.smallModelMaxTokens }
        }
        return config
    }

    /// The data of `config` and an evaluator training on this process's `--device` list (also what an MPI
    /// worker rank builds from the configuration rank 0 sends it).
    static func trainerEvaluator(_ config: SearchConfig, _ args: ParsedArguments) throws -> (TrainerEvaluator, DatasetPair) {
        let data = try DatasetCatalog.load(config.data, seed: config.seed)
        try config.training.trainingConfig(seed: config.seed).checkBatchFits(data)
        let evaluator = TrainerEvaluator(backends: try backends(args), data: data,
                                         config: config.training.trainingConfig(seed: config.seed),
                                         timeBudget: config.training.timeBudget)
        return (evaluator, data)
    }

    /// The `--device` list, checked before anything is loaded.
    static func devices(_ args: ParsedArguments) throws(UsageError) -> [DeviceSelection] {
        try DeviceSelection.list(parsing: args.string("device") ?? "auto")
    }

    /// `--space nb201 [--cells-per-stage N] [--benchmark TABLE]`, or nil for free-form networks.
    static func space(_ args: ParsedArguments) throws -> NB201SpaceSettings? {
        switch args.string("space") ?? "free" {
        case "free":
            for option in ["cells-per-stage", "benchmark"] where args.string(option) != nil {
                throw UsageError("--\(option) needs --space nb201")
            }
            return nil
        case "nb201":
            return NB201SpaceSettings(cellsPerStage: try args.int("cells-per-stage", default: NB201Network.defaultCellsPerStage, minimum: 1),
                                      benchmark: args.string("benchmark"))
        case let other:
            throw UsageError("invalid value '\(other)' for --space: expected free or nb201")
        }
    }

    /// One backend per listed device: each becomes one worker of the pool.
    static func backends(_ args: ParsedArguments, threads requested: Int? = nil) throws -> [any Backend] {
        let threads = try requested ?? args.threads(default: LocalLLMOption.trainerThreads(args))
        let tune: Bool? = args.flag("no-tune") ? false : nil
        // Candidates do not tune: on an H200 one GEMM shape took minutes of kernel builds, and each candidate
        // trains for seconds there. What `llmatic tune` cached is used.
        return try devices(args).map { try $0.makeBackend(threads: threads, tune: tune, tuningBudget: 0) }
    }

    /// The backends of a model run's final phase: while the search ran, the trainers left the local model
    /// server its cores (`LocalLLMOption.trainerThreads`); promotion and the final retrain have nothing for the
    /// model to write, so they take every core (measured: a 9 K-parameter final network retrained at 3,291
    /// images/s on 1 thread, 6,437 on 2). Nil when nothing changes, or `--threads` was given.
    static func finalPhaseBackends(_ args: ParsedArguments) throws -> [any Backend]? {
        guard LocalLLMOption.trainerThreads(args) != nil, args.string("threads") == nil else { return nil }
        return try backends(args, threads: CPUBackend.defaultThreads)
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
