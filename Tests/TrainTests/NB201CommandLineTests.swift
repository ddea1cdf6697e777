// NAS-Bench-201 on the command line: `train --net nb201:CELL` (the acceptance line, on less data),
// `--recipe nb201`, and `search --space nb201` with a results table.
import Foundation
import XCTest

extension CommandLineTests {
    static let nb201BestCell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"

    /// The benchmark's best CIFAR-10 cell trains one epoch; its parameter count is the benchmark's (1,073,466).
    /// The full acceptance line (512 training images) took 20 s on 2 shared cores; this uses 64.
    func testTrainNB201CellWithTheBenchmarkRecipe() throws {
        let outcome = try llmatic(["train", "--net", "nb201:" + Self.nb201BestCell, "--data", "synthetic:3x32x32:10:64:32",
                                   "--epochs", "1", "--recipe", "nb201", "--batch-size", "32", "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let json = try outcome.json()
        XCTAssertEqual(json["parameters"] as? Int, 1_073_466)
        XCTAssertTrue(outcome.stdout.contains("sgd momentum 0.9 nesterov weight decay 0.0005, lr 0.1 cosine, augmentation (crop 4, flip)"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("batch 32"), "explicit --batch-size must override the recipe: \(outcome.stdout)")

        let check = try llmatic(["check", "nb201:|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--input", "3x32x32"])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stderr.contains("no path from its input to its output"), check.stderr)
    }

    /// A table search: distinct cells counted, the best cell and its table test accuracy in --json.
    func testSearchNB201WithABenchmarkTable() throws {
        let folder = try makeScratchDirectory(self)
        var entries: [String] = []
        // Every cell with a result derived from its string, so whichever cells the search meets are present.
        let ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
        for index in 0..<15_625 {
            var digits: [String] = []
            var n = index
            for _ in 0..<6 { digits.insert(ops[n % 5], at: 0); n /= 5 }
            let cell = "|\(digits[0])~0|+|\(digits[1])~0|\(digits[2])~1|+|\(digits[3])~0|\(digits[4])~1|\(digits[5])~2|"
            entries.append("\"\(cell)\": {\"val_acc_200\": \(Double(index % 89) + 5), \"test_acc_200\": \(Double(index % 83) + 7)}")
        }
        let table = folder + "/cifar10.json"
        try ("{" + entries.joined(separator: ",") + "}").write(toFile: table, atomically: true, encoding: .utf8)
        let outcome = try llmatic(["search", "--space", "nb201", "--benchmark", table, "--cells-per-stage", "1",
                                   "--evaluations", "12", "--out", folder + "/run", "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let json = try outcome.json()
        XCTAssertEqual(json["evaluations"] as? Int, 12)
        let cell = try XCTUnwrap(json["best_cell"] as? String)
        let digits = cell.split(separator: "|").filter { $0 != "+" }.map { $0.split(separator: "~")[0] }
        let index = digits.reduce(0) { $0 * 5 + ops.firstIndex(of: String($1))! }
        XCTAssertEqual(try XCTUnwrap(json["best_accuracy"] as? Double), (Double(index % 89) + 5) / 100, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(json["best_test_accuracy"] as? Double), (Double(index % 83) + 7) / 100, accuracy: 1e-9)

        let usage = try llmatic(["search", "--benchmark", table, "--evaluations", "3", "--out", folder + "/bad"])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("--benchmark needs --space nb201"), usage.stderr)
    }
}
