// The llmatic command line, run as a user runs it: the built binary in a child process. The binary sits beside
// the test bundle when the package is built with `swift build --build-tests` (scripts/test does); set
// LLMATIC_BINARY to test another one.
import Foundation
import XCTest

final class CommandLineTests: XCTestCase {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
        /// The last stdout line parsed as a JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(lastLine.utf8))
            return try XCTUnwrap(object as? [String: Any], "last line is not a JSON object: \(lastLine)")
        }
    }

    func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["LLMATIC_BINARY"] { return path }
        // On Linux the bundle URL is the build folder itself; on macOS it is the .xctest bundle inside it.
        let bundle = Bundle(for: Self.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("llmatic").path }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no llmatic binary at \(candidates[0]): build the package with --build-tests (scripts/test does) or set LLMATIC_BINARY")
        }
        return path
    }

    /// Runs the binary; `environment` adds to (or overrides) this process's variables.
    func llmatic(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        // stderr goes to a file, so only one pipe is read and the child can never block on a full one.
        let errPath = NSTemporaryDirectory() + "llmatic-cli-stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    func testHelpAndVersion() throws {
        let overview = try llmatic(["--help"])
        XCTAssertEqual(overview.status, 0)
        for command in ["train", "check", "devices"] { XCTAssertTrue(overview.stdout.contains("  \(command) "), command) }
        let train = try llmatic(["train", "--help"])
        XCTAssertEqual(train.status, 0)
        for option in ["--net NET", "--epochs N", "--optimizer NAME", "[sgd|adam|adamw]", "--json", "--help"] {
            XCTAssertTrue(train.stdout.contains(option), "train --help lacks \(option)")
        }
        XCTAssertEqual(try llmatic(["check", "-h"]).status, 0)
        XCTAssertEqual(try llmatic(["devices", "--help"]).status, 0)
        XCTAssertTrue(try llmatic(["--version"]).stdout.hasPrefix("llmatic "))
    }

    func testUsageErrorsNameTheOptionAndExitWith2() throws {
        let cases: [([String], String)] = [
            (["train", "--epohcs", "2"], "unknown option '--epohcs' (did you mean '--epochs'?)"),
            (["train", "--epochs"], "option --epochs needs a value (N)"),
            (["train", "--epochs", "two"], "invalid value 'two' for --epochs: expected a whole number"),
            (["train", "--optimizer", "rmsprop"], "invalid value 'rmsprop' for --optimizer; valid values: sgd, adam, adamw"),
            (["train", "--device", "gpu"], "valid values: auto, cpu, reference, opencl, opencl:N"),
            (["train", "--json=maybe"], "it is a switch"),
            (["train", "--seed", "1", "--seed", "2"], "--seed is given more than once"),
            (["train", "extra"], "unexpected argument 'extra'"),
            (["check"], "missing the network to check"),
            (["check", "smallcnn", "--input", "28x28"], "invalid value '28x28' for --input"),
            (["trian"], "unknown command 'trian' (did you mean 'train'?)"),
        ]
        for (arguments, expected) in cases {
            let outcome = try llmatic(arguments)
            XCTAssertEqual(outcome.status, 2, "\(arguments)")
            XCTAssertTrue(outcome.stderr.contains(expected), "\(arguments): \(outcome.stderr)")
            XCTAssertEqual(outcome.stdout, "", "\(arguments): nothing on stdout")
        }
    }

    func testTrainPrintsResultsAndJSONAndWeightsReload() throws {
        let folder = try makeScratchDirectory(self)
        let common = ["--net", "smallcnn", "--data", "synthetic:1x12x12:4:256:128", "--batch-size", "32", "--threads", "2"]
        let trained = try llmatic(["train"] + common + ["--epochs", "4", "--save", folder + "/w.safetensors", "--json"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("plan: batch 32"), "the header shows the plan summary")
        XCTAssertTrue(trained.stdout.contains("test        loss"), trained.stdout)
        let result = try trained.json()
        for key in ["test_accuracy", "test_loss", "train_images_per_second", "epochs", "parameters", "flops", "train_loss",
                    "train_accuracy", "seconds", "loader_wait_fraction", "device", "net"] {
            XCTAssertNotNil(result[key], "JSON lacks \(key)")
        }
        let accuracy = try XCTUnwrap(result["test_accuracy"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.9)
        XCTAssertEqual(result["parameters"] as? Int, 320 + 18496 + 576 * 128 + 128 + 128 * 4 + 4)

        // Reloading the saved weights and only evaluating gives the same test accuracy.
        let reloaded = try llmatic(["train"] + common + ["--epochs", "0", "--load", folder + "/w.safetensors", "--json"])
        XCTAssertEqual(reloaded.status, 0, reloaded.stderr)
        XCTAssertEqual(try reloaded.json()["test_accuracy"] as? Double, accuracy)
    }

    func testFailuresAreOneLineOnStderrWithStatus1() throws {
        let folder = try makeScratchDirectory(self)
        let badData = try llmatic(["train", "--data", "synthetic:1x8:4:10:10"])
        XCTAssertEqual(badData.status, 1)
        XCTAssertTrue(badData.stderr.contains("unknown dataset spec 'synthetic:1x8:4:10:10'"), badData.stderr)
        XCTAssertEqual(badData.stderr.split(separator: "\n").count, 1, badData.stderr)

        let missing = try llmatic(["train", "--data", "synthetic:1x8x8:4:64:16", "--batch-size", "16", "--load", folder + "/none.safetensors"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("none.safetensors: no such file"), missing.stderr)

        // Three linear layers at learning rate 10 overflow within a few steps.
        let net = folder + "/linear.py"
        try """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(64, 16)
                self.fc2 = nn.Linear(16, 16)
                self.fc3 = nn.Linear(16, 4)

            def forward(self, x):
                x = torch.flatten(x, 1)
                return self.fc3(self.fc2(self.fc1(x)))
        """.write(toFile: net, atomically: true, encoding: .utf8)
        let diverged = try llmatic(["train", "--net", net, "--data", "synthetic:1x8x8:4:256:64", "--batch-size", "16",
                                    "--epochs", "4", "--lr", "10", "--momentum", "0", "--schedule", "constant", "--metrics-every", "1"])
        XCTAssertEqual(diverged.status, 1)
        XCTAssertTrue(diverged.stderr.contains("training diverged at step"), diverged.stderr)
        XCTAssertFalse(diverged.stderr.contains("Fatal error") || diverged.stderr.contains("Backtrace"), diverged.stderr)
    }

    func testCheckPrintsTheLayerTableAndLocatesSourceErrors() throws {
        let builtin = try llmatic(["check", "smallcnn", "--json"])
        XCTAssertEqual(builtin.status, 0, builtin.stderr)
        XCTAssertTrue(builtin.stdout.contains("conv2    Conv2d     64x14x14"), builtin.stdout)
        let json = try builtin.json()
        XCTAssertEqual(json["parameters"] as? Int, 421_642)
        XCTAssertEqual(json["output_shape"] as? String, "10")
        XCTAssertEqual(json["depth"] as? Int, 4)
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.compactMap { $0["flops"] as? Int }.reduce(0, +), json["flops"] as? Int, "layer FLOPs sum to the total")

        let folder = try makeScratchDirectory(self)
        let file = folder + "/broken.py"
        try """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)

            def forward(self, x):
                return self.conv(x)
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let broken = try llmatic(["check", file, "--input", "1x28x28"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderr.hasPrefix("\(file):"), "errors start with file:line:column: \(broken.stderr)")
        let location = broken.stderr.split(separator: ":").dropFirst().prefix(2)
        XCTAssertTrue(location.allSatisfy { Int($0) != nil }, broken.stderr)
    }
}
