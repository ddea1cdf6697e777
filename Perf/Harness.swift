import CPUBackend
import Foundation

/// One measured number with its reference: `ratio = ours / reference` for rates (higher is better for us), or
/// `reference / ours` when `lowerIsBetter` (memory).
struct BenchResult: Codable {
    var name: String
    var shape: String
    var ours: Double
    var unit: String
    var reference: Double?
    var referenceName: String
    var ratio: Double?
    var note: String?
    /// Achieved GFLOP/s and/or GB/s and the fraction of the measured peak (Perf/Roofline.swift); nil for rows
    /// with no throughput (dispatch cost, memory) and in files written before it existed.
    var roofline: RooflinePoint?

    init(name: String, shape: String, ours: Double, unit: String, reference: Double?, referenceName: String,
         lowerIsBetter: Bool = false, note: String? = nil, roofline: RooflinePoint? = nil) {
        self.name = name; self.shape = shape; self.ours = ours; self.unit = unit; self.reference = reference
        self.referenceName = referenceName; self.note = note; self.roofline = roofline
        if let r = reference, r > 0, ours > 0 { ratio = lowerIsBetter ? r / ours : ours / r }
    }
}

/// Settings every benchmark sees.
struct BenchContext: Sendable {
    var quick: Bool
    var torch: TorchPeer?
    /// Repository root (Perf/ and ../shared are found from here).
    var root: URL
    var executable: String
}

/// A named benchmark: a closure returning results. Add a new one in its own file as a static member of
/// `Benchmarks` and list it in `Benchmarks.all` (main.swift).
struct Benchmark: Sendable {
    var name: String
    var summary: String
    var run: @Sendable (BenchContext) throws -> [BenchResult]
    /// What the reference column is, when it is not PyTorch (the results header says it).
    var referenceNote: (@Sendable () -> String)? = nil
}

enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median seconds per call of `body` over `rounds` rounds after a warm-up; each round repeats the call
    /// enough times to last at least `roundSeconds`.
    static func measure(rounds: Int = 7, roundSeconds: Double = 0.02, _ body: () -> Void) -> Double {
        body()
        var reps = 1
        while true {
            let t0 = now()
            for _ in 0..<reps { body() }
            let dt = now() - t0
            if dt >= roundSeconds || reps >= 1 << 20 { break }
            reps = max(reps * 2, Int(Double(reps) * roundSeconds / max(dt, 1e-9)))
        }
        var samples: [Double] = []
        for _ in 0..<rounds {
            let t0 = now()
            for _ in 0..<reps { body() }
            samples.append((now() - t0) / Double(reps))
        }
        samples.sort()
        return useBest ? samples[0] : samples[samples.count / 2]
    }

    /// `--best`: report the fastest round instead of the median (for a machine shared with other work, where
    /// the fastest round is the closest to an unloaded one).
    nonisolated(unsafe) static var useBest = false
}

/// The PyTorch reference kit in ../shared/peers, driven through python3.
struct TorchPeer: Sendable {
    var script: URL

    static func locate(root: URL) -> (TorchPeer?, String) {
        let script = root.deletingLastPathComponent().appendingPathComponent("shared/peers/torch_rate.py")
        guard FileManager.default.fileExists(atPath: script.path) else { return (nil, "no \(script.path)") }
        let probe = try? run(["-c", "import torch; print(torch.__version__)"])
        guard let version = probe, !version.isEmpty else { return (nil, "python3 with torch not found") }
        return (TorchPeer(script: script), "PyTorch \(version.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    static func run(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Training images/s of a built-in net at a batch size and input shape "CxHxW" (torch_rate.py, 2 threads).
    func imagesPerSecond(net: String, batch: Int, seconds: Double, shape: String = "1x28x28") -> Double? {
        guard let line = try? Self.run([script.path, net, "\(batch)", "\(seconds)", shape]),
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return json["images_per_second"] as? Double
    }

    /// Peak RSS in bytes of a python process that trains the net with torch_rate (ru_maxrss is in KiB).
    func peakRSS(net: String, batch: Int, seconds: Double) -> Double? {
        let dir = script.deletingLastPathComponent().path
        let code = "import sys, resource; sys.path.insert(0, '\(dir)'); import torch_rate; "
            + "torch_rate.rate('\(net)', \(batch), \(seconds)); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        guard let text = try? Self.run(["-c", code]),
              let kib = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return kib * 1024
    }
}

enum Machine {
    static var cpuModel: String {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }
    /// VmHWM (peak resident set) of this process in bytes.
    static var peakRSS: Double {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        return kib * 1024
    }
}

/// The JSON written to Perf/results/<benchmark>.json.
struct ResultFile: Codable {
    /// `flags`: the CPU's vector extensions (CPUFeatures); `build`: the ISA our own loops were compiled for;
    /// `openblasCore`: the kernel set OpenBLAS uses (openblas_get_corename) and who chose it; `vectorKernels`: which
    /// of our AVX2 loops run (CPUBackend's runtime dispatch). The last four are absent from files
    /// written before they existed.
    struct MachineInfo: Codable {
        var cpu: String; var cores: Int; var flags: String; var build: String
        var cpuid: String?; var openblasCore: String?; var openblasConfig: String?; var vectorKernels: String?

        static var current: MachineInfo {
            MachineInfo(cpu: Machine.cpuModel, cores: Machine.cores,
                        flags: CPUFeatures.host.features.sorted().map(\.rawValue).joined(separator: ","),
                        build: CPUFeatures.compiledISA, cpuid: CPUFeatures.host.summary,
                        openblasCore: OpenBLASCore.description, openblasConfig: OpenBLASCore.config,
                        vectorKernels: CPUBackend.vectorKernels)
        }
    }
    var benchmark: String
    var date: String
    var machine: MachineInfo
    var reference: String
    /// The machine's peaks measured in the run that wrote this file (absent in older files).
    var peaks: Peaks?
    var results: [BenchResult]
}

enum Format {
    static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        if v >= 1000 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.3g", v)
    }

    static func table(_ results: [BenchResult]) -> String {
        var lines = ["| benchmark | shape | ours | reference | ratio | achieved | of peak |", "|---|---|---|---|---|---|---|"]
        for r in results {
            let ratio = r.ratio.map { String(format: "%.2f", $0) } ?? "-"
            var ref = r.reference.map { "\(number($0)) (\(r.referenceName))" } ?? (r.note ?? "-")
            if r.reference != nil, let note = r.note { ref += "; \(note)" }
            let achieved = r.roofline.map { p in
                [p.gflops.map { "\(number($0)) GFLOP/s" }, p.gbs.map { "\(number($0)) GB/s" }].compactMap { $0 }.joined(separator: ", ")
            } ?? "-"
            let fraction = r.roofline.map { String(format: "%.2f %@", $0.fraction, $0.peak) } ?? "-"
            lines.append("| \(r.name) | \(r.shape) | \(number(r.ours)) \(r.unit) | \(ref) | \(ratio) | \(achieved) | \(fraction) |")
        }
        return lines.joined(separator: "\n")
    }
}
