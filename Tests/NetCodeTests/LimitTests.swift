import Foundation
import XCTest
import NetIR
@testable import NetCode

/// Hostile or runaway source ends in a located error, fast: nothing may hang, trap, exhaust the stack or
/// allocate without bound.
final class LimitTests: XCTestCase {
    /// Parses, expecting an error whose message contains `fragment`, within `seconds`.
    private func assertRefused(_ source: String, _ fragment: String, within seconds: Double = 2,
                               file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        let error = parseError(source)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(error?.contains(fragment) ?? false, "got \(error ?? "success")", file: file, line: line)
        XCTAssertLessThan(elapsed, seconds, "took \(elapsed) s", file: file, line: line)
    }

    func testDeepBrackets() {
        assertRefused("x = " + String(repeating: "(", count: 10_000) + "1", "net.py:1:205: too many nested parentheses")
        assertRefused("x = " + String(repeating: "[", count: 150) + String(repeating: "]", count: 150) + "\n",
                      "expression is nested too deeply")
        assertRefused("x = " + String(repeating: "-", count: 5_000) + "1\n", "expression is nested too deeply")
        assertRefused("x = " + String(repeating: "not ", count: 5_000) + "1\n", "expression is nested too deeply")
    }

    func testLongOperatorChainsAndLines() {
        assertRefused("x = 1" + String(repeating: " + 1", count: 50_000) + "\n", "expression is nested too deeply")
        let wide = "x = [" + String(repeating: "1, ", count: 50_000) + "]\n" + "class Net(nn.Module):\n    pass\n"
        assertRefused(wide, "class Net has no forward() method")
    }

    func testHugeNumbers() {
        assertRefused("x = 99999999999999999999999999999\n", "net.py:1:5: integer literal is too large")
        let power = network(init: ["self.fc = nn.Linear(2 ** 100, 10)"], forward: ["return x"])
        XCTAssertEqual(parseError(power), "net.py:8:29: integer overflow")
        let large = network(init: ["self.fc = nn.Linear(10 ** 9, 10 ** 9)"], forward: ["return x"])
        XCTAssertEqual(parseError(large), "net.py:8:29: nn.Linear(): in_features=1000000000 is too large")
        let wide = network(init: ["self.conv = nn.Conv2d(1, 4096, 1, padding=4000)"], forward: ["return self.conv(x)"])
        assertRefused(wide, "output of shape 4096x8028x8028 is too large")
    }

    func testRunawayLoops() {
        let loop = network(init: ["for i in range(10 ** 9):", "    pass"], forward: ["return x"])
        assertRefused(loop, "evaluation takes too long")
        let list = network(init: ["self.layers = nn.ModuleList([nn.ReLU() for _ in range(10 ** 9)])"],
                           forward: ["for layer in self.layers:", "    x = layer(x)", "return x"])
        assertRefused(list, "net.py:8:38: more than 10000 modules")
        let forward = network(init: [], forward: ["for i in range(10 ** 9):", "    x = F.relu(x)", "return x"])
        assertRefused(forward, "the network has more than 10000 nodes")
        assertRefused(network(init: ["x = [0] * 10 ** 9"], forward: ["return x"]), "collection is larger than 100000 elements")
        let quadratic = network(init: ["items = []", "for i in range(100000):", "    items.insert(0, i)"], forward: ["return x"])
        assertRefused(quadratic, "evaluation takes too long")
        let growing = network(init: ["items = []", "for i in range(100000):", "    items = items + [i]"], forward: ["return x"])
        assertRefused(growing, "evaluation takes too long")
        let dict = network(init: ["d = {}", "for i in range(100000):", "    d[i] = i"], forward: ["return x"])
        assertRefused(dict, "evaluation takes too long")
    }

    func testRecursion() {
        let source = "import torch.nn as nn\ndef f(n):\n    return f(n + 1)\nclass Net(nn.Module):\n" +
                     "    def __init__(self):\n        super().__init__()\n        f(0)\n    def forward(self, x):\n        return x\n"
        assertRefused(source, "evaluation is nested too deeply (recursion?)")
        let forward = network(init: [], forward: ["return self.forward(x)"])
        assertRefused(forward, "evaluation is nested too deeply (recursion?)")
        assertRefused("X = X\nclass Net(nn.Module):\n    def __init__(self, n=X):\n        super().__init__()\n" +
                      "    def forward(self, x):\n        return x\n", "'X' is defined in terms of itself")
    }

    /// Freeing these recurses in Swift's runtime; parsing runs on a thread with a large stack for this reason.
    func testDeeplyNestedValuesAndModules() {
        let lists = network(init: ["v = []", "for i in range(60000):", "    v = [v]"], forward: ["return x"])
        XCTAssertNil(parseError(lists))
        for (start, wrap) in [("[]", "[v]"), ("()", "(v,)"), ("{}", "{1: v}")] {
            let nested = network(init: ["v = \(start)", "for i in range(10 ** 6):", "    v = \(wrap)"], forward: ["return x"])
            assertRefused(nested, "evaluation takes too long")
        }
        let cycle = network(init: ["a = []", "b = []", "a.append(b)", "b.append(a)", "assert_equal = a == b"], forward: ["return x"])
        XCTAssertNil(parseError(cycle))
        let modules = network(init: ["m = nn.ReLU()", "for i in range(5000):", "    m = nn.Sequential(m)", "self.deep = m"],
                              forward: ["return self.deep(x)"])
        assertRefused(modules, "net.py:5:1: modules are nested more than 64 deep")
        let blocks = (0..<60).map { String(repeating: "    ", count: $0) + "if True:" }.joined(separator: "\n")
        assertRefused(blocks + "\n" + String(repeating: "    ", count: 60) + "pass\n", "too many nested blocks")
    }

    func testParsingRunsOnABigStackEvenFromASmallOne() throws {
        // Threads other than the main one often get 512 KiB; the parser must not depend on the caller's stack.
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let thread = Thread {
            let source = network(init: ["v = []", "for i in range(60000):", "    v = [v]"], forward: ["return x"])
            outcome.error = parseError(source)
            outcome.finished = true
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(outcome.finished)
        XCTAssertNil(outcome.error)
    }

    /// Many callers at once share the pool of parser threads; every result must be right.
    func testConcurrentParses() throws {
        let entries = Corpus.entries
        let sources = try entries.map { try Corpus.source($0) }
        let failures = Outcome()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let entry = entries[k % entries.count]
            let result = try? NetworkSource.parse(sources[k % entries.count], file: entry.name, input: entry.input)
            if result?.totalParameterCount != entry.parameters {
                lock.withLock { failures.error = (failures.error ?? "") + entry.name + " " }
            }
        }
        XCTAssertNil(failures.error)
    }

    private final class Outcome: @unchecked Sendable {
        var error: String?
        var finished = false
    }
}
