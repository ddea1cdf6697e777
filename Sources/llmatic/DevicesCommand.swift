// `llmatic devices`: what this binary can train on.
import CPUBackend
import Foundation
import OpenCLBackend

enum DevicesCommand: Command {
    static let name = "devices"
    static let summary = "list the devices llmatic can train on (CPU backend with BLAS, OpenCL devices)"
    static let options: [OptionSpec] = [OptionSpec("json", nil, "print one JSON object as the last line of stdout")]

    static var help: String {
        ArgumentParser.help(usage: "llmatic devices [--json]", summary: "Lists the CPU backend and OpenCL devices.", options: options)
    }

    static func run(_ arguments: [String]) throws -> Int32 {
        let args = try ArgumentParser.parse(arguments, options: options)
        if args.helpRequested {
            print(help)
            return 0
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let cpu = CPUBackend(threads: CPUBackend.defaultThreads)
        print("cpu       \(cpu.name); \(cores) core\(cores == 1 ? "" : "s") online, \(cpuModel() ?? "unknown model")")
        let features = CPUFeatures.host
        print("          \(features.summary)")
        print("          OpenBLAS core \(OpenBLASCore.description); \(OpenBLASCore.config)")
        print("          our own loops: \(CPUFeatures.compiledISA)")
        print("          our vector loops: \(CPUBackend.vectorKernels)")
        // A broken OpenCL installation is reported, not fatal: the CPU backend still works.
        var devices: [OpenCLDevice] = []
        do {
            devices = try OpenCLDevice.all()
            if devices.isEmpty { print("opencl    no OpenCL platform installed (ocl-icd + a driver, e.g. pocl-opencl-icd)") }
        } catch {
            print("opencl    cannot list devices: \(error)")
        }
        for (i, d) in devices.enumerated() { print((i == 0 ? "opencl    " : "          ") + d.description) }
        let auto = OpenCLDevice.fastestGPU().map { "opencl:\($0.index) (\($0.name))" } ?? "cpu"
        print("auto      --device auto trains on \(auto)")
        if args.flag("json") {
            let list: [JSON] = devices.map {
                .object([("selection", .string("opencl:\($0.index)")), ("name", .string($0.name)), ("kind", .string($0.kind.rawValue)),
                         ("vendor", .string($0.vendor)), ("compute_units", .int($0.computeUnits)),
                         ("global_memory", .int($0.globalMemory)), ("version", .string($0.openCLVersion)),
                         ("driver", .string($0.driverVersion)), ("platform", .string($0.platformName))])
            }
            print(JSON.object([("cpu", .object([("name", .string(cpu.name)), ("threads", .int(cpu.threads)), ("cores", .int(cores)),
                                                ("model", cpuModel().map(JSON.string) ?? .null), ("blas", .string("OpenBLAS")),
                                                ("vendor", .string(features.vendor)), ("family", .int(features.family)),
                                                ("cpu_model_number", .int(features.model)),
                                                ("features", .array(features.features.sorted().map { .string($0.rawValue) })),
                                                ("openblas_core", .string(OpenBLASCore.loaded)),
                                                ("openblas_core_chosen_by", .string(OpenBLASCore.chooser)),
                                                ("openblas_config", .string(OpenBLASCore.config)),
                                                ("own_loops_isa", .string(CPUFeatures.compiledISA)),
                                                ("vector_kernels", .string(CPUBackend.vectorKernels))])),
                               ("opencl", .array(list)), ("auto", .string(auto))]).text)
        }
        return 0
    }

    /// The `model name` line of /proc/cpuinfo (Linux); nil elsewhere.
    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
