// `llmatic devices`: what this binary can train on.
import CPUBackend
import Foundation

enum DevicesCommand: Command {
    static let name = "devices"
    static let summary = "list the devices llmatic can train on (CPU, BLAS; OpenCL once built in)"
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
        // Seam: the OpenCL backend lists its platforms and devices here once the llmatic target links it.
        print("opencl    not built into this binary yet")
        if args.flag("json") {
            print(JSON.object([("cpu", .object([("name", .string(cpu.name)), ("threads", .int(cpu.threads)), ("cores", .int(cores)),
                                                ("model", cpuModel().map(JSON.string) ?? .null), ("blas", .string("OpenBLAS"))])),
                               ("opencl", .array([]))]).text)
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
