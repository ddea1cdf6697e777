// Fuzz: feeds seeded, mutated inputs to what reads untrusted input (the network-source parser and shape
// checks, the IDX / gzip / CIFAR readers, data-set specs, and optionally the llmatic command line) for a given
// time. Every input must be accepted or refused with the reader's typed error; a trap (overflow, failed
// allocation, bounds) kills the process, and the input that did it is on disk. Same seed, same inputs.
//
//     swift run -c release Fuzz --seconds 60 --seed 1 [--cli .build/release/llmatic]   (scripts/fuzz does this)
import Data
import Foundation
import NetCode
import NetIR

/// SplitMix64, so a seed names one exact sequence of inputs on every machine.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

struct Options {
    var seconds = 60.0
    var seed: UInt64 = 1
    var corpus = "Fuzz/corpus"
    var work = ".build/fuzz"
    var cli: String?
    var maxCases = Int.max

    init(_ arguments: [String]) {
        var i = 0
        func value() -> String { i += 1; return i < arguments.count ? arguments[i] : "" }
        while i < arguments.count {
            switch arguments[i] {
            case "--seconds": seconds = Double(value()) ?? seconds
            case "--seed": seed = UInt64(value()) ?? seed
            case "--corpus": corpus = value()
            case "--work": work = value()
            case "--cli": cli = value()
            case "--cases": maxCases = Int(value()) ?? maxCases
            default:
                FileHandle.standardError.write(Data("fuzz: unknown argument \(arguments[i])\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

/// Byte-level and token-level corruptions: deletions, duplications, splices from another input, extreme
/// numbers, invisible and line-breaking characters, truncation.
enum Mutate {
    static let numbers = ["0", "-1", "1", "255", "256", "65535", "65536", "4294967295", "4294967296", "16777216",
                          "9223372036854775807", "9223372036854775808", "99999999999", "1e308", "nan", "-0", "2**62", "10**9"]
    static let odd = ["\u{202E}", "\u{2028}", "\u{0}", "\u{FEFF}", "\t", "\r", "\n", "\\", "\"", "'", "((((", "))", ":", ",", "x"]

    static func bytes(_ s: inout [UInt8], _ rng: inout SplitMix, other: [UInt8]) {
        let at = rng.below(s.count + 1)
        switch rng.below(9) {
        case 0: s.removeSubrange(at..<min(s.count, at + 1 + rng.below(16)))
        case 1: s.insert(contentsOf: s[at..<min(s.count, at + 1 + rng.below(64))], at: rng.below(s.count + 1))
        case 2: if !s.isEmpty { s[min(at, s.count - 1)] ^= UInt8(1 << rng.below(8)) }
        case 3: s.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        case 4: if rng.chance(25) { s.removeSubrange(at...) } else { s.insert(contentsOf: s[at..<min(s.count, at + rng.below(8))], at: at) }
        case 5:
            let from = rng.below(other.count + 1)
            s.insert(contentsOf: other[from..<min(other.count, from + rng.below(128))], at: at)
        case 6: s.insert(contentsOf: Array(numbers[rng.below(numbers.count)].utf8), at: at)
        case 7: s.insert(contentsOf: Array(odd[rng.below(odd.count)].utf8), at: at)
        default:
            // Replace a run of digits by an extreme number.
            guard let start = s[at...].firstIndex(where: { (48...57).contains($0) }) else { return }
            let end = s[start...].firstIndex { !(48...57).contains($0) } ?? s.count
            s.replaceSubrange(start..<end, with: Array(numbers[rng.below(numbers.count)].utf8))
        }
    }

    /// One mutation usually, up to four sometimes: inputs stay close enough to valid to reach deep code.
    static func many(_ input: [UInt8], _ rng: inout SplitMix, other: [UInt8]) -> [UInt8] {
        var s = input
        for _ in 0...(rng.chance(70) ? 0 : rng.below(4)) { bytes(&s, &rng, other: other) }
        return s
    }
}

/// Which reader a case exercises; each has its own corpus folder.
enum Target: String, CaseIterable {
    case source, shape, idx, cifar, spec, cli
}

/// A file rewritten in place for every case (truncate and write, no temporary file, no fsync): creating a file
/// per case cost more than the cases themselves.
final class ScratchFile {
    let path: String
    private let fd: Int32

    init(_ path: String) {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) {
        _ = ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}

final class Fuzzer {
    let options: Options
    var rng: SplitMix
    var corpus: [Target: [[UInt8]]] = [:]
    var counts: [Target: (cases: Int, accepted: Int, seconds: Double)] = [:]
    var failures: [String] = []
    var slow: [String] = []
    let currentInput: ScratchFile
    let currentTarget: ScratchFile
    var dataFiles: [String: ScratchFile] = [:]

    init(_ options: Options) {
        self.options = options
        rng = SplitMix(state: options.seed)
        for target in Target.allCases {
            // Network sources also start from the parser tests' corpus (one copy of those files).
            let folders = [options.corpus + "/" + target.rawValue] + (target == .source ? ["Tests/NetCodeTests/Corpus"] : [])
            corpus[target] = folders.flatMap { folder in
                ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().compactMap {
                    FileManager.default.contents(atPath: folder + "/" + $0).map { [UInt8]($0) }
                }
            }
        }
        try? FileManager.default.createDirectory(atPath: options.work + "/files", withIntermediateDirectories: true)
        currentInput = ScratchFile(options.work + "/current-input")
        currentTarget = ScratchFile(options.work + "/current-target")
    }

    func pick(_ target: Target) -> ([UInt8], [UInt8]) {
        let inputs = corpus[target] ?? []
        guard !inputs.isEmpty else { return ([], []) }
        return (inputs[rng.below(inputs.count)], inputs[rng.below(inputs.count)])
    }

    /// The input about to run, on disk first: if it traps, this file is the reproduction.
    func save(_ target: Target, _ bytes: [UInt8]) {
        currentInput.write(bytes)
        currentTarget.write(Array(target.rawValue.utf8))
    }

    func run() -> Int32 {
        let start = Date()
        var n = 0
        let targets = Target.allCases.filter { $0 != .cli || options.cli != nil }
        while n < options.maxCases && Date().timeIntervalSince(start) < options.seconds {
            // The command line spawns a process per case: one case in 200.
            var target = targets[n % targets.count]
            if target == .cli && n % (200 * targets.count) != targets.count - 1 { target = .source }
            let (base, other) = pick(target)
            let input = Mutate.many(base, &rng, other: other)
            save(target, input)
            let caseStart = Date()
            let accepted = runCase(target, input)
            let seconds = Date().timeIntervalSince(caseStart)
            if seconds > 5 { slow.append("\(target.rawValue) case \(n): \(String(format: "%.1f", seconds)) s") }
            var c = counts[target] ?? (0, 0, 0)
            c.cases += 1
            c.seconds += seconds
            if accepted { c.accepted += 1 }
            counts[target] = c
            n += 1
        }
        let total = Date().timeIntervalSince(start)
        let perTarget = Target.allCases.compactMap { t in
            counts[t].map { "\(t.rawValue) \($0.cases) (\($0.accepted) accepted, \(String(format: "%.1f", $0.seconds)) s)" }
        }
        print("fuzz: seed \(options.seed), \(n) inputs in \(String(format: "%.1f", total)) s: " + perTarget.joined(separator: ", "))
        print("fuzz: \(failures.count) failures, \(slow.count) slow (> 5 s), peak memory \(peakMegabytes()) MB")
        for f in failures.prefix(20) { print("  failure: \(f)") }
        for s in slow.prefix(20) { print("  slow: \(s)") }
        return failures.isEmpty ? 0 : 1
    }

    /// Runs one input; true when it was accepted, false when refused with the expected error type.
    func runCase(_ target: Target, _ input: [UInt8]) -> Bool {
        switch target {
        case .source: return source(input)
        case .shape: return shape(input)
        case .idx: return file(input, name: "train-images-idx3-ubyte") { try IDXReader.readImages(path: $0).count }
        case .cifar:
            return file(input, name: "data_batch_1.bin") { path in
                let folder = (path as NSString).deletingLastPathComponent
                scratch(folder + "/test_batch.bin").write(input)
                return try DatasetCatalog.load("cifar10:" + folder, seed: 0).train.count
            }
        case .spec:
            // DatasetCatalog.load throws only DataError (typed throws): accepted or refused, nothing else.
            return (try? DatasetCatalog.load(String(decoding: input, as: UTF8.self), seed: 0)) != nil
        case .cli: return commandLine(input)
        }
    }

    /// A network file: parsed (never executed) for a random input shape, extreme ones included.
    func source(_ input: [UInt8]) -> Bool {
        let shapes = [[1, 28, 28], [3, 32, 32], [1, 1, 1], [64, 8192, 8192], [784], [16_777_216, 16, 16], [1, 4096, 4096]]
        let shape = TensorShape(shapes[rng.below(shapes.count)])
        do {
            let parsed = try NetworkSource.parse(String(decoding: input, as: UTF8.self), file: "fuzz.py", input: shape)
            _ = try parsed.graph.cost()
            return true
        } catch is SourceError {
            return false
        } catch is NetworkError {
            return false
        } catch {
            failures.append("source: unexpected \(type(of: error)): \(error)")
            return false
        }
    }

    /// `--input`-style text: parsed, then the built-in networks built on it with a random class count.
    func shape(_ input: [UInt8]) -> Bool {
        guard let shape = TensorShape(parsing: String(decoding: input, as: UTF8.self)) else { return false }
        let classes = [2, 10, 1000, 1 << 24, Int.max, 0, -5][rng.below(7)]
        for network in BuiltinNetwork.allCases {
            do { _ = try network.graph(input: shape, classes: classes).cost() } catch is NetworkError {
                continue
            } catch {
                failures.append("shape: unexpected \(type(of: error)): \(error)")
            }
        }
        return true
    }

    /// A data file written to a scratch folder, then read by `read`.
    func file(_ input: [UInt8], name: String, read: (String) throws -> Int) -> Bool {
        let path = options.work + "/files/" + name
        scratch(path).write(input)
        do { _ = try read(path); return true } catch is DataError { return false } catch {
            failures.append("\(name): unexpected \(type(of: error)): \(error)")
            return false
        }
    }

    /// One line of the corpus (arguments separated by single spaces) mutated and run as `llmatic` arguments:
    /// it must exit with 0, 1 or 2 and never show a Swift runtime trap.
    func commandLine(_ input: [UInt8]) -> Bool {
        guard let binary = options.cli else { return false }
        let arguments = String(decoding: input, as: UTF8.self).split(separator: "\n").first.map {
            $0.split(separator: " ").map(String.init)
        } ?? []
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: options.work)
        var environment = ProcessInfo.processInfo.environment
        environment["LLMATIC_MEMORY_LIMIT"] = "512M"
        process.environment = environment
        let errPath = options.work + "/cli-stderr"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errPath)
        do { try process.run() } catch { failures.append("cli: cannot start \(binary): \(error)"); return false }
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            slow.append("cli: \(arguments.joined(separator: " ")) ran past 30 s")
            return false
        }
        let stderr = (FileManager.default.contents(atPath: errPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = arguments.joined(separator: " ")
        if process.terminationReason == .uncaughtSignal || ![0, 1, 2].contains(process.terminationStatus)
            || stderr.contains("Fatal error") {
            failures.append("cli: \(line): status \(process.terminationStatus) (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit")): \(stderr.prefix(200))")
        }
        return process.terminationStatus == 0
    }

    func scratch(_ path: String) -> ScratchFile {
        if let file = dataFiles[path] { return file }
        let file = ScratchFile(path)
        dataFiles[path] = file
        return file
    }

    func peakMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) / 1024
        }
        return 0
    }
}

// Data sets above this are refused by MemoryBudget: a fuzzed spec or header may ask for any size.
setenv("LLMATIC_MEMORY_LIMIT", "256M", 1)
exit(Fuzzer(Options(Array(CommandLine.arguments.dropFirst()))).run())
