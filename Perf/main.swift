// Perf: micro-benchmarks of the trainer, each side by side with its reference.
// Usage: Perf [--quick] [--best] [--filter NAME] [--no-torch] | Perf --profile NET|FILE.py BATCH [THREADS] (time of every
//        instruction, alone and inside whole steps)
//        | Perf --profile-cpu NET BATCH [CxHxW] (thread CPU time of every instruction, 1 thread)
//        | Perf --profile-opencl NET BATCH (device time of every instruction on OpenCL)
//        | Perf --compare-opencl NET BATCH [CxHxW] [ROUNDS] (OpenCL vs CPU backend steps, interleaved)
//        | Perf --gemm-sweep MxNxK,... "MWG=.. NWG=.. ..." ... (our OpenCL GEMM with given parameters, and CLBlast)
// Results: Perf/results/<benchmark>.json and the table in Perf/README.md (between the results markers).
import CPUBackend
import Foundation

// First: on an AVX-512 CPU this may re-execute Perf with OPENBLAS_CORETYPE set (Sources/CPUBackend/OpenBLASCore.swift).
OpenBLASCore.selectForThisCPU()

/// The benchmark registry. To add one, define `static let myBench = Benchmark(...)` in an extension of
/// `Benchmarks` in a new file and append it here.
enum Benchmarks {
    static var all: [Benchmark] { [sgemm, conv, memoryBound, ops, step, memory, openCLGemm, openCLStep] }
}

var quick = false, useTorch = true
var filters: [String] = []
var arguments = Array(CommandLine.arguments.dropFirst())
let usage = "usage: Perf [--quick] [--best] [--filter NAME] [--no-torch] | --profile NET BATCH [THREADS] | --profile-cpu NET BATCH [CxHxW] | --profile-opencl NET BATCH [STEPS] | --compare-opencl NET BATCH [CxHxW] [ROUNDS] | --gemm-sweep SHAPES [PARAMETERS...]"
/// The single-purpose tools: each runs and exits; an error (a malformed shape, a device that fails) is printed
/// with its message and exit status 1 instead of trapping.
let tools: [String: ([String]) throws -> Void] = [
    "--profile": { Clock.useBest = true; try Benchmarks.profile($0) },
    "--profile-cpu": Benchmarks.profileCPUTime,
    "--profile-opencl": Benchmarks.profileOpenCL,
    "--compare-opencl": Benchmarks.compareOpenCL,
    "--gemm-sweep": { Clock.useBest = true; try Benchmarks.gemmSweep($0) },
    "--child-rss": Benchmarks.childRSS,
]
if let name = arguments.first, let tool = tools[name] {
    do {
        try tool(Array(arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("Perf \(name): \(error.localizedDescription)\n".utf8))
        exit(1)
    }
    exit(0)
}
while let a = arguments.first {
    arguments.removeFirst()
    switch a {
    case "--quick": quick = true
    case "--no-torch": useTorch = false
    case "--best": Clock.useBest = true
    case "--filter":
        if let f = arguments.first { filters.append(f); arguments.removeFirst() }
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(2)
    }
}

// The checkout whose Perf/results and Perf/README.md are written: where this file was compiled, unless
// LLMATIC_PERF_ROOT names another (a binary carried to a GPU machine runs in a copy of the checkout elsewhere).
let root = ProcessInfo.processInfo.environment["LLMATIC_PERF_ROOT"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
let (torch, torchNote) = useTorch ? TorchPeer.locate(root: root) : (nil, "PyTorch skipped (--no-torch)")
let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
let context = BenchContext(quick: quick, torch: torch, root: root, executable: executable)
let build = CPUFeatures.compiledISA
print("Perf on \(Machine.cpuModel), \(Machine.cores) cores [\(CPUFeatures.host.summary)], our loops \(build), our vector loops: \(CPUBackend.vectorKernels), OpenBLAS core \(OpenBLASCore.description); reference: \(torchNote)")

let selected = Benchmarks.all.filter { b in filters.isEmpty || filters.contains { b.name.contains($0) } }
// The roofline's peaks, once, before any benchmark (Perf/Roofline.swift).
if !selected.isEmpty { _ = Roofline.peaks }
let resultsDir = root.appendingPathComponent("Perf/results")
try? FileManager.default.createDirectory(at: resultsDir, withIntermediateDirectories: true)
let dateFormatter = ISO8601DateFormatter()
for bench in selected {
    print("\n## \(bench.name): \(bench.summary)")
    let results = try bench.run(context)
    print(Format.table(results))
    let file = ResultFile(benchmark: bench.name, date: dateFormatter.string(from: Date()),
                          machine: .current,
                          reference: bench.referenceNote?() ?? torchNote,
                          peaks: results.contains { $0.roofline != nil } ? Roofline.peaks : nil, results: results)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(file).write(to: resultsDir.appendingPathComponent("\(bench.name).json"))
}
try Readme.regenerate(root: root, benchmarks: Benchmarks.all)
