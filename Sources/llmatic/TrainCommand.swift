// `llmatic train`: one network, one data set, one device; progress while it runs, a result block (and with
// --json a last line of JSON) at the end.
import CPUBackend
import Data
import Engine
import Foundation
import NetIR
import Search
import Train

enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train a network (built-in or PyTorch file) on a data set and report test accuracy"

    static let options: [OptionSpec] = [
        OptionSpec("net", "NET", "built-in network, PyTorch source file (.py), or nb201:CELL (a NAS-Bench-201 cell string such as '|nor_conv_3x3~0|+|...|' in the benchmark's network, built through its PyTorch source)",
                   default: "smallcnn; built-ins: \(NetworkLoading.builtinNames.joined(separator: ", "))"),
        OptionSpec("cells-per-stage", "N", "nb201:CELL networks: cells in each of the three stages", default: "5"),
        OptionSpec("recipe", "NAME", "option defaults of a published setup; nb201: SGD Nesterov 0.9, lr 0.1 cosine, weight decay 5e-4, batch 256, crop+flip (explicit options override)",
                   choices: TrainingRecipe.allCases.map(\.rawValue)),
        OptionSpec("class", "NAME", "the nn.Module class to use from a .py file (default: Net, else the top-level module)"),
        OptionSpec("data", "SPEC", "data set: fashion-mnist[:DIR], mnist[:DIR], cifar10:DIR, cifar100:DIR, synthetic[:CxHxW:CLASSES:TRAIN:TEST]",
                   default: "fashion-mnist"),
        OptionSpec("epochs", "N", "passes over the training set (0: only evaluate)", default: "1"),
        OptionSpec("batch-size", "B", "training batch size", default: "128"),
        OptionSpec("eval-batch-size", "B", "evaluation batch size", default: "the training batch size"),
        OptionSpec("lr", "X", "peak learning rate", default: "0.05 for sgd, 0.001 for adam/adamw"),
        OptionSpec("optimizer", "NAME", "update rule", choices: ["sgd", "adam", "adamw"], default: "sgd"),
        OptionSpec("momentum", "M", "SGD momentum", default: "0.9"),
        OptionSpec("nesterov", nil, "Nesterov momentum for SGD; --nesterov=false turns it off", default: "on"),
        OptionSpec("weight-decay", "W", "L2 penalty (sgd, adam) or decoupled decay (adamw)", default: "0, adamw 0.01"),
        OptionSpec("schedule", "NAME", "learning-rate schedule", choices: LearningRateSchedule.Shape.allCases.map(\.rawValue),
                   default: "cosine"),
        OptionSpec("warmup", "STEPS", "linear warm-up steps", default: "0"),
        OptionSpec("warmup-fraction", "F", "linear warm-up as a share of all steps", default: "0; onecycle 0.3"),
        OptionSpec("label-smoothing", "E", "label smoothing of the cross-entropy", default: "0"),
        OptionSpec("augment", nil, "random crops (zero padding 2, 4 from 32 px) and horizontal flips"),
        OptionSpec("validation", "F", "hold out this share of the training set and report validation, not test", default: "0"),
        OptionSpec("device", "DEVICE", "where to train: \(DeviceSelection.spellings.joined(separator: ", "))", default: "auto: the fastest OpenCL GPU, else cpu"),
        OptionSpec("threads", "T", "CPU threads; more than the cores is capped at the cores, with a warning", default: "\(CPUBackend.defaultThreads) (all cores)"),
        OptionSpec("no-tune", nil, "OpenCL: use the device's default GEMM parameters instead of autotuning this plan's shapes (tuning runs on GPUs by default; see llmatic tune)"),
        OptionSpec("resident-data", nil, "keep the training set on an OpenCL device and build batches there; =false uploads each batch",
                   default: "on"),
        OptionSpec("seed", "S", "seeds initialisation, shuffling, augmentation and dropout", default: "0"),
        OptionSpec("max-steps", "N", "stop after N optimizer steps (the schedule spans the capped run)"),
        OptionSpec("time-limit", "S", "train at most S seconds: the schedule follows time when time runs ahead of the steps, so the learning rate still anneals to the end inside S"),
        OptionSpec("metrics-every", "N", "read loss/accuracy from the device every N steps", default: "50"),
        OptionSpec("eval-every", "N", "also evaluate after every N epochs (0: only at the end)", default: "0"),
        OptionSpec("load", "FILE", "start from weights in a .safetensors file (PyTorch state_dict names)"),
        OptionSpec("save", "FILE", "save the trained weights as .safetensors (loads with torch's load_state_dict)"),
        OptionSpec("checkpoint", "FILE", "save the training state (weights, optimizer, step) there every --checkpoint-every steps and each epoch"),
        OptionSpec("checkpoint-every", "N", "steps between checkpoints (rounded up to --metrics-every)", default: "500"),
        OptionSpec("resume", "FILE", "continue from a checkpoint (same network, optimizer and data); keeps checkpointing to FILE"),
        OptionSpec("json", nil, "print one JSON object with the results as the last line of stdout"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic train [--net NET] [--data SPEC] [--epochs N] [options]",
                            summary: "Trains a network and evaluates it on the test set (or a validation split).",
                            options: options,
                            notes: """
                            examples:
                              llmatic train --net smallcnn --data fashion-mnist --epochs 2
                              llmatic train --net mynet.py --class Net --data cifar10:~/cifar-10-batches-bin --augment --json
                              llmatic train --net resnet8 --data synthetic:3x32x32:10:2048:512 --optimizer adamw --lr 0.002
                              llmatic train --net resnet8 --epochs 30 --checkpoint r8.ckpt   # killed? --resume r8.ckpt
                            """)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        let setup = try TrainSetup(args)
        let every = try args.int("checkpoint-every", default: 500, minimum: 1)
        if args.string("load") != nil && args.string("resume") != nil {
            throw UsageError("--load and --resume exclude each other (a checkpoint holds the weights)")
        }
        let data = try DatasetCatalog.load(setup.dataSpec, seed: setup.config.seed)
        try setup.config.checkBatchFits(data)
        let shape = data.train.shape
        let input = TensorShape(channels: shape.channels, height: shape.height, width: shape.width)
        var config = setup.config
        if args.flag("augment", default: setup.recipe?.augment ?? false) {
            config.augmentation = Augmentation(cropPadding: shape.height >= 32 ? 4 : 2, horizontalFlip: true)
        }
        let network = try NetworkLoading.load(setup.netSpec, className: args.string("class"), input: input, classes: data.train.classes,
                                              cellsPerStage: try args.int("cells-per-stage", default: NB201Network.defaultCellsPerStage, minimum: 1))
        let backend = try setup.device.makeBackend(threads: setup.threads, tune: args.flag("no-tune") ? false : nil)
        let trainer = try Trainer(graph: network.graph, config: config, backend: backend)
        if let path = args.string("load") { try trainer.loadWeights(from: path) }
        if let path = args.string("resume") { try trainer.restoreCheckpoint(from: path) }
        let checkpoints = (args.string("checkpoint") ?? args.string("resume")).map {
            TrainCheckpoints(path: $0, every: every, trainer: trainer)
        }

        let report = TrainReport(json: args.flag("json"), network: network, data: data, trainer: trainer, dataSpec: setup.dataSpec)
        report.printHeader()
        if trainer.step > 0 { print("resume    at step \(trainer.step) from \(args.string("resume") ?? "")") }
        if let c = checkpoints { print("checkpoint \(c.path) every \(c.every) steps and at each epoch end") }
        let result = try trainer.run(data) { p in
            report.progress(p)
            checkpoints?.progress(p)
        }
        report.finishProgress()
        if let path = args.string("save") {
            try trainer.saveWeights(to: path, metadata: ["net": network.label, "data": setup.dataSpec])
        }
        report.printResult(result, savedTo: args.string("save"))
        return 0
    }
}

/// The options of `train` turned into typed settings.
struct TrainSetup {
    var netSpec: String
    var dataSpec: String
    var device: DeviceSelection
    var threads: Int
    var config: TrainingConfig
    var recipe: TrainingRecipe?

    init(_ args: ParsedArguments) throws(UsageError) {
        recipe = try TrainingRecipe.parse(args)
        netSpec = args.string("net") ?? "smallcnn"
        dataSpec = args.string("data") ?? "fashion-mnist"
        device = try DeviceSelection(parsing: args.string("device") ?? "auto")
        threads = try args.threads()
        let optimizerName = args.string("optimizer") ?? recipe?.optimizer ?? "sgd"
        let momentum = try args.double("momentum", default: recipe?.momentum ?? 0.9, range: 0...0.999_999)
        let weightDecay = try args.double("weight-decay", default: recipe?.weightDecay ?? (optimizerName == "adamw" ? 0.01 : 0), range: 0...1e3)
        let optimizer: OptimizerConfig
        switch optimizerName {
        case "adam", "adamw":
            optimizer = .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: Float(weightDecay), decoupled: optimizerName == "adamw")
        default:
            let nesterov = args.flag("nesterov", default: recipe?.nesterov ?? true)
            optimizer = .sgd(momentum: Float(momentum), nesterov: nesterov && momentum > 0, weightDecay: Float(weightDecay))
        }
        let shape = LearningRateSchedule.Shape(rawValue: args.string("schedule") ?? recipe?.schedule ?? "cosine") ?? .cosine
        let schedule = LearningRateSchedule(shape, warmupSteps: try args.int("warmup", default: 0, minimum: 0),
                                            warmupFraction: try args.double("warmup-fraction", default: 0, range: 0...1))
        config = TrainingConfig(
            epochs: try args.int("epochs", default: 1, minimum: 0, maximum: TrainingConfig.maxEpochs),
            batchSize: try args.int("batch-size", default: recipe?.batchSize ?? 128, minimum: 1, maximum: TrainingConfig.maxBatchSize),
            evalBatchSize: try args.optionalInt("eval-batch-size", minimum: 1, maximum: TrainingConfig.maxBatchSize),
            learningRate: try args.double("lr", default: recipe?.learningRate ?? (optimizerName == "sgd" ? 0.05 : 0.001), range: 0...1e6),
            optimizer: optimizer, schedule: schedule,
            labelSmoothing: Float(try args.double("label-smoothing", default: 0, range: 0...0.999)),
            seed: try args.uint64("seed", default: 0),
            validationFraction: try args.double("validation", default: 0, range: 0...0.99),
            maxSteps: try args.optionalInt("max-steps", minimum: 0, maximum: TrainingConfig.maxSteps),
            evaluateEveryEpochs: try args.int("eval-every", default: 0, minimum: 0),
            metricsEvery: try args.int("metrics-every", default: 50, minimum: 1),
            residentData: args.flag("resident-data", default: true))
        if args.string("time-limit") != nil { config.timeLimit = try args.double("time-limit", default: 0, range: 0.001...1e9) }
    }
}
