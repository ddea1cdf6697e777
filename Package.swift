// swift-tools-version:6.0
// llmatic: neural-architecture search (LLMatic) over a fast trainer.
// No package dependencies: only Swift's own libraries and Debian's C libraries.
import PackageDescription

// Release builds are fully optimised; `-Ounchecked` drops overflow/bounds traps in hot loops only
// where a module opts in. Set LLMATIC_TARGET_CPU=haswell (or native) to let swiftc emit AVX2/FMA;
// the default keeps a binary that runs on any x86-64.
let targetCPU = Context.environment["LLMATIC_TARGET_CPU"]
let fastFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
] + (targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? [])
// The same target CPU for the C shim that reports it (CCPUID: `llmatic devices` and Perf say what our loops use).
let cpuidFlags: [CSetting] = targetCPU.map { [.unsafeFlags(["-march=\($0)"]), .define("LLMATIC_TARGET_CPU_NAME", to: "\"\($0)\"")] } ?? []

let package = Package(
    name: "llmatic",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "llmatic", targets: ["llmatic"]),
        .executable(name: "Perf", targets: ["Perf"]),
    ],
    targets: [
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // cpuid/xgetbv, which Swift cannot issue (CPUBackend's CPUFeatures decodes them).
        .target(name: "CCPUID", cSettings: cpuidFlags),
        .target(name: "NetIR"),
        .target(name: "NetCode", dependencies: ["NetIR"]),
        .target(name: "Engine", dependencies: ["NetIR"], swiftSettings: fastFlags),
        // AVX2+FMA loops compiled per function (target attributes), called after a cpuid check: one portable binary.
        .target(name: "CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CPUBackend", dependencies: ["Engine", "CBLAS", "CCPUID", "CVectorKernels"], swiftSettings: fastFlags),
        .target(name: "OpenCLBackend", dependencies: ["Engine", "COpenCL"], swiftSettings: fastFlags,
                plugins: ["EmbedKernels"]),
        // Build-time embedding of Kernels/*.cl into OpenCLBackend as string literals (one binary runs anywhere).
        .executableTarget(name: "EmbedKernelsTool", path: "Plugins/EmbedKernelsTool"),
        .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["EmbedKernelsTool"]),
        // The judge of correctness: a plain, obviously-right interpreter of plans (double accumulation, no tricks).
        .target(name: "ReferenceBackend", dependencies: ["Engine"]),
        .target(name: "Data", dependencies: ["CZlib"], swiftSettings: fastFlags),
        .target(name: "Train", dependencies: ["Engine", "Data", "NetIR"], swiftSettings: fastFlags),
        .target(name: "Search", dependencies: ["NetIR", "NetCode", "Engine", "Data", "Train"]),
        // MPI reached through dlopen at run time (docs/mpi.md): building needs no MPI, a plain run loads none.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Cluster", dependencies: ["CMPI", "Search", "NetIR", "Train"]),
        .executableTarget(name: "llmatic", dependencies: ["NetIR", "NetCode", "Engine", "CPUBackend", "OpenCLBackend", "ReferenceBackend", "Data", "Train", "Search", "Cluster"]),
        // Seeded fuzzing of the readers of untrusted input (scripts/fuzz); its corpus is Fuzz/corpus.
        .executableTarget(name: "Fuzz", dependencies: ["NetIR", "NetCode", "Data"], path: "Fuzz", exclude: ["corpus", "README.md"]),
        .executableTarget(name: "Perf", dependencies: ["NetIR", "NetCode", "Engine", "CPUBackend", "OpenCLBackend", "Data", "Train", "CBLAS", "COpenCL", "OpTable"],
                          path: "Perf", exclude: ["README.md", "results"], swiftSettings: fastFlags),
        // The op table every backend's tests read: per op its test graphs, per (op, backend) one tolerance with its
        // reason, and the instruction-level comparison with the reference (a library, so Perf may read it too).
        .target(name: "OpTable", dependencies: ["Engine", "NetIR", "ReferenceBackend"], path: "Tests/OpTable"),
        // The tests' one runner of python3 (PyTorch cross-checks), shared by the test targets that call PyTorch.
        .target(name: "PythonSupport", path: "Tests/PythonSupport"),
        .testTarget(name: "NetIRTests", dependencies: ["NetIR"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "NetIR", "ReferenceBackend", "OpTable"]),
        .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "ReferenceBackend", "Engine", "NetIR", "OpTable"]),
        .testTarget(name: "NetCodeTests", dependencies: ["NetCode", "NetIR"], resources: [.copy("Corpus"), .copy("Constructs")]),
        .testTarget(name: "DataTests", dependencies: ["Data"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Search", "NetIR", "Train"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "NetCode", "NetIR", "Train", "Data", "Engine", "CPUBackend", "PythonSupport"]),
        .testTarget(name: "SearchQualityTests", dependencies: ["Search", "NetIR", "Train", "Data", "Engine"]),
        .testTarget(name: "OpenCLBackendTests", dependencies: ["OpenCLBackend", "ReferenceBackend", "Engine", "NetIR", "Data", "Train", "OpTable"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "CPUBackend", "ReferenceBackend", "Engine", "NetIR", "Data", "NetCode", "OpTable", "PythonSupport"]),
    ]
)
