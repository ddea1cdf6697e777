// `llmatic bench-search` run as a user runs it, on a small made-up table.
import Foundation
import XCTest

extension CommandLineTests {
    func testBenchSearchPrintsEveryMethodAndTheOracle() throws {
        let dir = NSTemporaryDirectory() + "bench-search-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 400 cells: cell strings of indices 0..<400 written out (edge ops as base-5 digits, first edge first).
        let ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
        var entries: [String] = []
        var bestValidation = -1.0, chosenTest = 0.0
        for index in 0..<400 {
            var digits: [Int] = []
            var n = index
            for _ in 0..<6 { digits.append(n % 5); n /= 5 }
            let d = Array(digits.reversed()).map { ops[$0] }
            let cell = "|\(d[0])~0|+|\(d[1])~0|\(d[2])~1|+|\(d[3])~0|\(d[4])~1|\(d[5])~2|"
            let val = Double((index * 7919) % 400) / 10, test = val + Double(index % 3)
            if val > bestValidation { bestValidation = val; chosenTest = test }
            entries.append("\"\(cell)\": {\"val_acc_200\": \(val), \"test_acc_200\": \(test)}")
        }
        let path = dir + "/cifar10.json"
        try Data(("{" + entries.joined(separator: ",") + "}").utf8).write(to: URL(fileURLWithPath: path))

        let run = try llmatic(["bench-search", "--benchmark", path, "--repeats", "3", "--queries", "40,20", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("regularised evolution"), run.stdout)
        let table = try XCTUnwrap((try run.json()["tables"] as? [[String: Any]])?.first)
        XCTAssertEqual(table["table"] as? String, "cifar10")
        XCTAssertEqual(table["queries"] as? [Int], [20, 40])
        XCTAssertEqual(try XCTUnwrap(table["oracle_test_accuracy"] as? Double), chosenTest, accuracy: 1e-9)
        let methods = try XCTUnwrap(table["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.compactMap { $0["method"] as? String }, ["random", "regularized-evolution", "llmatic", "elite-curious"])
        for m in methods {
            let mean = try XCTUnwrap(m["mean"] as? [Double])
            XCTAssertEqual(mean.count, 2)
            // Reading off later can only keep or raise the best validation, and no chosen test exceeds the table's.
            XCTAssertTrue(mean.allSatisfy { $0 > 0 && $0 <= 41.9 }, "\(m)")
        }

        let one = try llmatic(["bench-search", "--benchmark", path, "--repeats", "2", "--queries", "10", "--algorithm", "llmatic", "--json"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let names = ((try one.json()["tables"] as? [[String: Any]])?.first?["methods"] as? [[String: Any]])?.compactMap { $0["method"] as? String }
        XCTAssertEqual(names, ["random", "regularized-evolution", "llmatic"])

        XCTAssertEqual(try llmatic(["bench-search", "--benchmark", path, "--queries", "0"]).status, 2)
        XCTAssertEqual(try llmatic(["bench-search", "--algorithm", "greedy"]).status, 2)
        XCTAssertEqual(try llmatic(["bench-search", "--benchmark", dir + "/missing.json", "--repeats", "1"]).status, 1)
        let help = try llmatic(["bench-search", "--help"])
        XCTAssertEqual(help.status, 0)
        for option in ["--benchmark", "--repeats R", "--queries", "--algorithm NAME", "[both|llmatic|elite-curious]", "--json"] {
            XCTAssertTrue(help.stdout.contains(option), "bench-search --help lacks \(option)")
        }
    }
}
