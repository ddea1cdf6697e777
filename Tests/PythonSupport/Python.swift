import Foundation

/// The tests' one way to run python3 (PyTorch cross-checks): a library the test targets that talk to PyTorch link,
/// so the process plumbing and the float files PyTorch reads are written once. It never skips by itself: callers
/// turn `missing` into an `XCTSkip` with its reason.
public enum Python {
    /// Runs `python3 arguments` to its end; the exit status and stdout and stderr together.
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// nil when python3 imports every one of `modules`; otherwise why not (the reason a test skips with).
    public static func missing(_ modules: [String]) -> String? {
        let names = modules.joined(separator: ", ")
        guard let result = try? run(["-c", "import " + names]) else { return "python3 could not be started" }
        return result.status == 0 ? nil : "python3 with \(names) is not available"
    }

    /// `values` as little-endian float32, as `torch.frombuffer(..., dtype=torch.float32)` reads them.
    public static func writeFloats(_ values: [Float], to path: String) throws {
        try Data(values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } })
            .write(to: URL(fileURLWithPath: path))
    }
}
