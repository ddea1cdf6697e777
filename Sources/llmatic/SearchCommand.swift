// `llmatic search`: LLMatic's quality-diversity search, with a language model when --llm-url is given and the
// built-in rule mutator otherwise. Everything lands in --out (see `llmatic report`, `llmatic export`).
import Cluster
import Data
import Engine
import Foundation
import NetCode
import NetIR
import Search
import Train

enum SearchCommand: Command {
    static let name = "search"
    static let summary = "search architectures (LLMatic: CVT-MAP-Elites over networks and prompts)"

    static let options: [OptionSpec] = [
        OptionSpec("data", "SPEC", "data set, as for train", default: "fashion-mnist"),
        OptionSpec("evaluations", "N", "candidates to make in total, the seed network included"),
        OptionSpec("generations", "G", "generations after the seed network"),
        OptionSpec("batch", "K", "children per generation", default: "4"),
        OptionSpec("net", "NET", "seed network: built-in name, .py file or nb201:CELL",
                   default: "initial (LLMatic's seed); with --space nb201 nb201:\(NB201SpaceSettings.defaultSeedCell)"),
        OptionSpec("space", "SPACE", "free: any network the parser reads; nb201: NAS-Bench-201 cells in the benchmark's network (children outside it fail as outside-space)",
                   choices: ["free", "nb201"], default: "free"),
        OptionSpec("cells-per-stage", "N", "nb201: cells in each of the three stages", default: "5"),
        OptionSpec("benchmark", "TABLE", "nb201: look children up in a NAS-Bench-201 results table (../shared/nb201/cifar10.json) instead of training; fitness val_acc_200, test_acc_200 reported only; repeated cells are skipped and not counted; no data set is loaded"),
        OptionSpec("epochs", "E", "training epochs per candidate", default: "1"),
        OptionSpec("max-steps", "N", "cap on optimizer steps per candidate"),
        OptionSpec("batch-size", "B", "training batch size", default: "128"),
        OptionSpec("lr", "X", "peak learning rate (SGD, Nesterov, cosine)", default: "0.05"),
        OptionSpec("warmup-fraction", "F", "share of each candidate's steps warming the learning rate up", default: "0.1"),
        OptionSpec("validation", "F", "share of the training set the fitness is measured on", default: "0.1"),
        OptionSpec("time-budget", "S", "seconds one candidate may train; predicted overruns are not started"),
        OptionSpec("fitness", "NAME", "what the network archive maximises", choices: ["accuracy", "loss"], default: "accuracy"),
        OptionSpec("niches", "N", "niches of each archive", default: "100"),
        OptionSpec("initial", "N", "networks in the archive before selection starts (elite-curious: 40% of N)",
                   default: "10; --space nb201 --algorithm llmatic: 5"),
        OptionSpec("algorithm", "NAME", "selection: elite-curious (incumbent-biased parents, shorter seed phase) or LLMatic's own; see docs/nb201.md",
                   choices: SearchAlgorithm.allCases.map(\.rawValue), default: SearchAlgorithm.standard.rawValue),
        OptionSpec("max-params", "N", "parameter limit per candidate", default: "5000000"),
        OptionSpec("max-flops", "N", "forward FLOPs limit per sample", default: "300000000"),
        OptionSpec("max-activations", "N", "activation floats per sample", default: "2000000"),
        OptionSpec("device", "DEVICE", "device(s), comma-separated for one worker each: \(DeviceSelection.spellings.joined(separator: ", "))",
                   default: "auto"),
        OptionSpec("threads", "T", "CPU threads; more than the cores is capped at the cores, with a warning", default: "all cores; with --llm the cores the local server leaves while the search runs, all cores in the final phase"),
        OptionSpec("no-tune", nil, "OpenCL: use the device's default GEMM parameters, not the choices `llmatic tune` cached (candidates never tune themselves: it costs more than they train)"),
        OptionSpec("seed", "S", "seeds the archives, selection, rule edits and training", default: "0"),
        OptionSpec("out", "DIR", "run folder (created)"),
        OptionSpec("resume", "DIR", "continue a run from its folder (its config.json; budget options may extend it)"),
        OptionSpec("rebuild-log", nil, "with --resume: rebuild a missing or damaged events.jsonl from the candidates' meta.json files (the old log is kept as events.jsonl.damaged)"),
        OptionSpec("llm-url", "URL", "OpenAI-compatible endpoint (http://host:port/v1); without it (or --llm) the rule mutator is used"),
        OptionSpec("llm", nil, "use the local model server of scripts/llm-server (its state file gives URL, model, slots)"),
        OptionSpec("model", "M", "model name for the endpoint"),
        OptionSpec("llm-api", "API", "endpoint kind", choices: ["chat", "completions"], default: "chat"),
        OptionSpec("api-key-env", "NAME", "environment variable holding the API key", default: "OPENAI_API_KEY"),
        OptionSpec("llm-timeout", "S", "seconds per request", default: "120"),
        OptionSpec("llm-retries", "N", "retries on 429, 5xx and dropped connections", default: "4"),
        OptionSpec("llm-concurrency", "N", "requests in flight at once (a llama.cpp server serves as many as its parallel slots, -np; two keep the next generation's prompts queued while one reply is written)", default: "2; with --llm the server's slots"),
        OptionSpec("llm-prompt", "STYLE", "how a mutation prompt states the task: focused (the parent's layers with their shapes and one concrete edit) or paper (LLMatic's one-line instruction)", choices: LLMPrompt.Style.allCases.map(\.rawValue), default: "focused"),
        OptionSpec("llm-temperature-scale", "F", "the model samples at the prompt archive's temperature (0.1-1.0) times F", default: "1; with --llm 0.35 (small local models)"),
        OptionSpec("llm-deadline", "S", "longest a child waits for the model, retries included, before the rule mutator makes it instead; after 3 failed exchanges in a row the rules make children for 60 s", default: "llm-timeout + 10"),
        OptionSpec("time-limit", "S", "start no new generation after S seconds (children in flight finish)"),
        OptionSpec("uniform-niches", nil, "place the niches by CVT over the whole descriptor box instead of over the networks the rule edits reach from the seed (ReachableNiches)"),
        OptionSpec("fixed-descriptors", nil, "keep the fixed descriptor ranges (depth/width 0.003-3, FLOPs 10k-1G) instead of bounds from the limits, the time budget and the data's shape (DescriptorBounds)"),
        OptionSpec("run-time", "S", "seconds for the whole run: generations start until S/2 (exploring to 80% of that, each child predicted to train at most a quarter of it unless --time-budget says otherwise, then the fittest few are promoted to longer training), and the best network is retrained from scratch in the rest (final.py, final.safetensors); see RunTimeSplit"),
        OptionSpec("final-scaling", nil, "with --run-time: retrain the final network at the widest width (every hidden Conv2d/Linear x1.5, 2, 3 or 4) that the time left still trains for 12 epochs at its measured speed; --final-scaling=false keeps the width the search found (FinalScaling)", default: "on"),
        OptionSpec("final-epochs", "E", "train the best network E more epochs at the end, then test again", default: "0"),
        OptionSpec("llm-fill-ins", nil, "with a model: while no model child is ready, idle trainer workers train rule children (logged as fallback model-busy, counted apart); --llm-fill-ins=false leaves them idle", default: "on"),
        OptionSpec("test-best", nil, "evaluate the best network on the test set at the end; --test-best=false skips", default: "on"),
        OptionSpec("json", nil, "print one JSON object with the results as the last line of stdout"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic search --data SPEC --evaluations N --out DIR [options]",
                            summary: "Runs LLMatic: networks as PyTorch source, mutated by a language model or by rules, kept in a CVT-MAP-Elites archive over (depth/width, FLOPs); prompts in a second archive over (instruction, temperature).",
                            options: options,
                            notes: """
                            examples:
                              llmatic search --data fashion-mnist --evaluations 40 --epochs 1 --out runs/fm
                              llmatic search --data fashion-mnist --evaluations 200 --llm-url http://localhost:8080/v1 --model qwen2.5-coder --out runs/llm
                              scripts/llm-server start && llmatic search --data fashion-mnist --evaluations 100 --llm --out runs/local
                              llmatic search --resume runs/fm --evaluations 80
                              mpirun -np 3 llmatic search --data fashion-mnist --evaluations 24 --threads 1 --out runs/mpi   (ranks 1-2 train; docs/mpi.md)
                              llmatic search --space nb201 --data fashion-mnist --evaluations 20 --cells-per-stage 1 --out runs/nb201
                              llmatic search --space nb201 --benchmark ../shared/nb201/cifar10.json --evaluations 200 --json --out runs/table
                            """)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let runStart = Date()
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        // Under mpirun/srun with more than one rank: ranks > 0 serve as workers, rank 0 runs the search below.
        let mpi = MPIEnvironment.detect()
        mpi?.endWithLauncher()
        if let mpi, mpi.rank > 0 { return try ClusterSearch.serve(args, mpi) }
        let cluster = try mpi.map(ClusterSearch.coordinator)
        defer { cluster?.stop() }
        let json = args.flag("json")
        let resumeDir = args.string("resume")
        guard let folder = resumeDir ?? args.string("out") else { throw UsageError("give --out DIR (or --resume DIR)") }
        let directory = RunDirectory(folder)
        _ = try SearchSetup.devices(args)   // a bad --device list is refused before any data is read
        var config: SearchConfig
        if resumeDir != nil {
            guard directory.exists(directory.configPath) else { throw Failure("\(folder) is not a search run (no config.json)") }
            config = try directory.readJSON(SearchConfig.self, from: directory.configPath)
            if let e = try args.optionalInt("evaluations", minimum: 1) { config.evaluations = e }
            if let g = try args.optionalInt("generations", minimum: 0) { config.generations = g }
            if args.string("time-limit") != nil { config.timeLimit = try args.double("time-limit", default: 0, range: SearchConfig.timeLimitRange) }
            if let e = try args.optionalInt("final-epochs", minimum: 0) { config.finalEpochs = e }
            try SearchResume.prepare(directory, config: config, rebuildLog: args.flag("rebuild-log"))
            try LocalLLMOption.refresh(&config, args)
        } else {
            if args.flag("rebuild-log") { throw UsageError("--rebuild-log goes with --resume DIR") }
            if directory.exists(directory.eventsPath) {
                throw Failure("\(folder) already holds a run; use --resume \(folder) to continue it or choose another --out")
            }
            config = try SearchSetup.config(args)
            try config.validate()
        }
        // Workers load their data while rank 0 loads its own (a results table is refused below).
        if config.space?.benchmark == nil { try cluster?.announce(config) }
        let input: TensorShape
        var evaluator: any Evaluator
        var localTrainer: TrainerEvaluator?
        // Cells a NAS-Bench-201 run has made or looked up (after a resume: those in its log), shared by the cell
        // mutator and the table evaluator so children are new cells.
        let seenCells = NB201SeenCells(resumeDir == nil || config.space == nil ? [] : SearchEngine.queriedCells(directory.eventsPath).keys
            .compactMap { try? NB201Cell(string: $0) })
        if let space = config.space, let path = space.benchmark {
            // A table search trains nothing: the table's data set fixes the network's input and classes.
            let table = try NB201Table(contentsOf: path)
            input = table.dataShape.input
            config.classes = table.dataShape.classes
            if resumeDir == nil && args.string("data") == nil { config.data = "nas-bench-201 table \(table.name)" }
            evaluator = TableEvaluator(table: table, recognizer: space.recognizer, seen: seenCells)
            if cluster != nil { throw UsageError("a results-table search (--benchmark) trains nothing: run it without mpirun") }
        } else {
            let (trainer, data) = try SearchSetup.trainerEvaluator(config, args)
            let shape = data.train.shape
            input = TensorShape(channels: shape.channels, height: shape.height, width: shape.width)
            config.classes = data.train.classes
            evaluator = trainer
            localTrainer = trainer
        }
        if let cluster { evaluator = try cluster.connect(local: evaluator) }
        config.input = input.dims
        let codec = config.space.map { NetworkCodec.nb201(input: input, classes: config.classes, space: $0) } ?? NetworkCodec.pytorch(input: input)
        var seedSource: String?
        if resumeDir == nil {
            let seed = try NetworkLoading.load(config.seedNetwork, className: nil, input: input, classes: config.classes,
                                               cellsPerStage: config.space?.cellsPerStage ?? NB201Network.defaultCellsPerStage)
            seedSource = config.seedNetwork.hasSuffix(".py")
                ? try String(contentsOfFile: config.seedNetwork, encoding: .utf8) : codec.emit(seed.graph)
            if config.space == nil, !args.flag("fixed-descriptors") {
                // The FLOPs a child can train in its budget, at the rate a short probe measures here and now.
                let trainable = localTrainer?.probedFlopsWithinBudget()
                config.descriptors = DescriptorBounds.space(limits: config.limits, input: input, classes: config.classes,
                                                            seeds: [try seed.graph.cost()], trainableFlops: trainable)
                if !args.flag("uniform-niches") {
                    config.nicheCentroids = ReachableNiches.centroids(count: config.niches, seeds: [seed.graph], space: config.descriptors,
                                                                      limits: config.limits, seed: config.seed)
                }
            }
        }
        let mutator: any Mutator = config.mutator.llm.map {
            LLMMutator(client: LLMClient(config: $0), prompt: LLMPrompt(inputDescription: input.description, classes: config.classes,
                                                             style: $0.promptStyle.flatMap(LLMPrompt.Style.init(rawValue:)) ?? .focused))
        } ?? config.space.map { NB201Mutator(space: $0, input: input, classes: config.classes, seen: seenCells) } ?? RuleMutator(codec: codec)
        let status = SearchStatusLine(json: json)
        let engine = try SearchEngine(config: config, directory: directory, seedSource: seedSource, mutator: mutator,
                                      checker: CandidateChecker(codec: codec, classes: config.classes, limits: config.limits),
                                      evaluator: evaluator, resume: resumeDir != nil,
                                      onStatus: { status.update($0) })
        // Fill-ins exist to keep trainers busy while a model writes; without one they would only make the
        // generations' timing part of the result (a rule run must give the same archive for 1 or 2 workers).
        engine.fillIns = config.mutator.llm != nil && args.flag("llm-fill-ins", default: true)
        engine.scalesFinalNetwork = args.flag("final-scaling", default: true)
        // Under MPI a rule run overlaps generations too: a generation's last child must not idle the other workers.
        engine.overlapsRuleGenerations = cluster != nil
        status.header(config: config, directory: directory, devices: evaluator.deviceNames, mutator: mutator.name,
                      resumed: engine.state.evaluations)
        var summary = try Blocking.wait { try await engine.run() }
        status.finish()
        if config.runTime != nil {
            if cluster == nil, let trainer = localTrainer, let backends = try SearchSetup.finalPhaseBackends(args) {
                trainer.replaceBackends(backends)
                print("final phase on \(trainer.deviceNames.joined(separator: ", ")) (the model server's cores are free now)")
            }
            try SearchFinalPhase.run(engine, config: config, runStart: runStart, summary: &summary)
        } else if args.flag("test-best", default: true) {
            let final = try SearchSetup.finish(engine, epochs: config.finalEpochs ?? 0)
            summary.best_test_accuracy = final?.bestTestAccuracy
        }
        try Report.write(directory)
        status.result(summary)
        return 0
    }
}

/// Runs async work from the synchronous command entry point.
enum Blocking {
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw Failure("the search ended without a result") }
        return try result.get()
    }

    private final class Box<T>: @unchecked Sendable { var result: Result<T, any Error>? }
}
