// `llmatic tune`: runs the OpenCL GEMM autotuner on the GEMM shapes of networks' training plans and caches the
// choices per device and driver, so later `train`/`search` runs on that device start tuned.
import Engine
import Foundation
import NetIR
import OpenCLBackend

enum TuneCommand: Command {
    static let name = "tune"
    static let summary = "tune the OpenCL GEMM kernel for networks' shapes on a device and cache the choice"

    static let options: [OptionSpec] = [
        OptionSpec("device", "DEVICE", "OpenCL device: opencl (fastest GPU, else first device) or opencl:N", default: "opencl"),
        OptionSpec("net", "NETS", "comma-separated built-in networks or .py files whose plans give the shapes",
                   default: "smallcnn,resnet8"),
        OptionSpec("class", "NAME", "the nn.Module class to use from .py files (default: Net, else the top-level module)"),
        OptionSpec("input", "CxHxW", "input image shape", default: "1x28x28"),
        OptionSpec("classes", "K", "output classes", default: "10"),
        OptionSpec("batch-size", "LIST", "comma-separated batch sizes to tune for", default: "128"),
        OptionSpec("budget", "S", "seconds the tuner may spend in all (cached shapes cost nothing)", default: "120"),
        OptionSpec("json", nil, "print one JSON object with the results as the last line of stdout"),
    ]

    static var help: String {
        ArgumentParser.help(usage: "llmatic tune [--device opencl:N] [--net NETS] [--batch-size LIST] [--budget S]",
                            summary: "Times the GEMM kernel's parameter sets on every GEMM shape of the networks' training plans, keeps the fastest correct one per shape and caches it ($XDG_CACHE_HOME/llmatic/tuning.json, keyed by device, driver and shape). Training on GPUs also tunes by itself within 30 s per plan; `--no-tune` there turns that off.",
                            options: options,
                            notes: """
                            examples:
                              llmatic tune --device opencl:0
                              llmatic tune --net mynet.py --input 3x32x32 --batch-size 1,128 --budget 300
                            """)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        let selection = try DeviceSelection(parsing: args.string("device") ?? "opencl")
        guard case .opencl = selection else { throw UsageError("--device must be opencl or opencl:N (only OpenCL kernels are tuned)") }
        let input = try args.inputShape()
        let classes = try args.int("classes", default: 10, minimum: 2, maximum: SizeLimits.dimension)
        let batches = try (args.string("batch-size") ?? "128").split(separator: ",").map { text -> Int in
            guard let b = Int(text), b >= 1 else { throw UsageError("invalid value '\(text)' in --batch-size: expected positive integers") }
            return b
        }
        let budget = try args.double("budget", default: 120, range: 0...86_400)
        let backend = try OpenCLBackend(selection: selection.description, tune: false)
        print("device    \(backend.device.description)")

        // Shapes as the backend lowers each plan (loading untuned costs a kernel build, no tuning).
        var shapes = Set<GemmShape>()
        for spec in (args.string("net") ?? "smallcnn,resnet8").split(separator: ",").map(String.init) {
            let network = try NetworkLoading.load(spec, className: args.string("class"), input: input, classes: classes)
            for batch in batches {
                let plan = try PlanCompiler.compile(network.graph, options: PlanOptions(batchSize: batch))
                let found = try backend.loadExecutor(plan).gemmShapes
                print("plan      \(network.label) batch \(batch): \(found.count) GEMM shapes")
                shapes.formUnion(found)
            }
        }
        print("tuning    \(shapes.count) shapes within \(Console.duration(budget))")
        Console.flush()
        let results = try backend.tuneGemm(Array(shapes), budgetSeconds: budget) { shape, i, n in
            if Console.isTerminal { Console.live("tuning    \(i)/\(n) \(shape)") }
        }
        if Console.isTerminal { Console.endLive() }
        for r in results {
            let speedup = r.defaultGFLOPS > 0 ? r.chosenGFLOPS / r.defaultGFLOPS : 0
            print(String(format: "%-22@ %8.1f GFLOP/s (default %.1f, x%.2f)%@  %@", r.shape.description as NSString,
                         r.chosenGFLOPS, r.defaultGFLOPS, speedup, (r.cached ? " cached" : "") as NSString,
                         (r.chosen == r.defaultParameters ? "default" : r.chosen.description) as NSString))
        }
        if args.flag("json") {
            let rows: [JSON] = results.map {
                .object([("shape", .string($0.shape.description)), ("parameters", .string($0.chosen.description)),
                         ("gflops", .number($0.chosenGFLOPS)), ("default_gflops", .number($0.defaultGFLOPS)),
                         ("cached", .bool($0.cached))])
            }
            print(JSON.object([("device", .string(backend.device.name)), ("shapes", .array(rows))]).text)
        }
        return 0
    }
}
