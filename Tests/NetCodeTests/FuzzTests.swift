import Foundation
import XCTest
import NetIR
@testable import NetCode

/// SplitMix64: small, fast and reproducible across platforms.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Thousands of corrupted corpus files: each must parse or throw a `SourceError`, never trap or hang. Those that
/// still parse must also survive emit and re-parse with the same layers, wiring and node names.
final class FuzzTests: XCTestCase {
    func testMutatedCorpusNeverTrapsOrHangs() throws {
        var rng = SeededGenerator(seed: 0x11_AA71C)
        let sources = try Corpus.entries.map { ($0, Array(try Corpus.source($0).utf8)) }
        let cases = 3000
        var parsed = 0, refused = 0, slowest = 0.0
        let start = Date()
        for k in 0..<cases {
            let (entry, original) = sources[k % sources.count]
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) { Mutator.mutate(&bytes, &rng) }
            let source = String(decoding: bytes, as: UTF8.self)
            let caseStart = Date()
            do {
                let network = try NetworkSource.parse(source, file: "fuzz.py", input: entry.input)
                parsed += 1
                let again = try NetworkSource.parse(NetworkSource.emit(network.graph), file: "emitted.py", input: entry.input)
                XCTAssertEqual(again.graph.nodes.map(\.layer), network.graph.nodes.map(\.layer), "case \(k)")
                XCTAssertEqual(again.graph.nodes.map(\.inputs), network.graph.nodes.map(\.inputs), "case \(k)")
                XCTAssertEqual(again.graph.nodes.map(\.name), network.graph.nodes.map(\.name), "case \(k)")
            } catch is SourceError {
                refused += 1
            } catch {
                XCTFail("case \(k): \(type(of: error)) is not a SourceError: \(error)")
            }
            slowest = max(slowest, Date().timeIntervalSince(caseStart))
            if ProcessInfo.processInfo.environment["FUZZ_SLOW"] != nil, Date().timeIntervalSince(caseStart) > 0.05 {
                print("slow case \(k): \(Date().timeIntervalSince(caseStart)) s: \((try? NetworkSource.parse(source, file: "fuzz.py", input: entry.input)).map { _ in "ok" } ?? parseError(source) ?? "")")
            }
        }
        let total = Date().timeIntervalSince(start)
        print("fuzz: \(cases) cases, \(parsed) parsed, \(refused) refused, \(String(format: "%.2f", total)) s total, " +
              "slowest \(String(format: "%.1f", slowest * 1000)) ms")
        XCTAssertEqual(parsed + refused, cases)
        XCTAssertGreaterThan(parsed, cases / 50, "mutations should leave some sources valid")
        XCTAssertLessThan(slowest, 2.0)
        XCTAssertLessThan(total, 60)
    }
}

/// Source corruptions of the kinds editors, truncated downloads and language models produce, plus a few
/// adversarial ones (deep brackets, huge numbers, endless loops, very long lines).
enum Mutator {
    static let punctuation = Array("()[]{}:,.=+-*/%'\"\\#@!$\n\t ".utf8)

    static func mutate(_ s: inout [UInt8], _ rng: inout SeededGenerator) {
        guard !s.isEmpty else { s = Array("(".utf8); return }
        let at = Int.random(in: 0...s.count, using: &rng)
        let pieces = lexemes(s)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<12:
            let n = Int.random(in: 1...20, using: &rng)
            s.removeSubrange(min(at, s.count)..<min(at + n, s.count))
        case 12..<20:
            let n = Int.random(in: 1...80, using: &rng)
            let slice = Array(s[min(at, s.count)..<min(at + n, s.count)])
            s.insert(contentsOf: slice, at: Int.random(in: 0...s.count, using: &rng))
        case 20..<32:
            s.insert(punctuation[Int.random(in: 0..<punctuation.count, using: &rng)], at: at)
        case 32..<42 where pieces.count >= 2:
            var a = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
            var b = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
            if a.lowerBound > b.lowerBound { swap(&a, &b) }
            guard a.upperBound <= b.lowerBound else { return }
            let first = Array(s[a]), second = Array(s[b])
            s.replaceSubrange(b, with: first)
            s.replaceSubrange(a, with: second)
        case 42..<52 where !pieces.isEmpty:
            s.removeSubrange(pieces[Int.random(in: 0..<pieces.count, using: &rng)])
        case 52..<58 where !pieces.isEmpty:
            let piece = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
            s.insert(contentsOf: Array(s[piece]), at: piece.upperBound)
        case 58..<64:
            s.removeSubrange(min(at, s.count)..<s.count)
        case 64..<74:
            let numbers = pieces.filter { (48...57).contains(s[$0.lowerBound]) }
            guard let piece = numbers.randomElement(using: &rng) else { return }
            let replacements = ["9999999999999999999999999", "10**9", "2**62", "0", "-1", "1e308", "65536", "3.5", "(2, 2)"]
            s.replaceSubrange(piece, with: Array((replacements.randomElement(using: &rng) ?? "0").utf8))
        case 74..<82:
            let names = pieces.filter { PythonSyntax.isIdentifierStart(s[$0.lowerBound]) }
            guard let a = names.randomElement(using: &rng), let b = names.randomElement(using: &rng) else { return }
            s.replaceSubrange(a, with: Array(s[b]))
        case 82..<88:
            // Re-indent a line by a few spaces either way.
            let starts = [0] + s.indices.filter { s[$0] == 10 }.map { $0 + 1 }.filter { $0 < s.count }
            guard let line = starts.randomElement(using: &rng) else { return }
            if Bool.random(using: &rng) { s.insert(contentsOf: Array(repeating: 32, count: Int.random(in: 1...4, using: &rng)), at: line) }
            else if s[line] == 32 { s.remove(at: line) }
        case 88..<93:
            let starts = s.indices.filter { s[$0] == 10 }.map { $0 + 1 }.filter { $0 < s.count }
            guard let line = starts.randomElement(using: &rng) else { return }
            let indent = s[line...].prefix { $0 == 32 }.count
            let loops = ["for _ in range(10**9): pass", "x = [x] * 10**9", "while True: pass", "self.m = nn.ModuleList([nn.ReLU() for _ in range(10**9)])"]
            let text = String(repeating: " ", count: indent) + (loops.randomElement(using: &rng) ?? "pass") + "\n"
            s.insert(contentsOf: Array(text.utf8), at: line)
        case 93..<96:
            s.insert(contentsOf: Array(repeating: UInt8(ascii: "("), count: 10_000), at: at)
        case 96..<98:
            s.insert(contentsOf: Array(("\nx = " + String(repeating: "1+", count: 3_000) + "1\n").utf8), at: at)
        default:
            s.insert(contentsOf: Array((String(repeating: "a", count: 20_000) + " ").utf8), at: at)
        }
    }

    /// Rough tokens: identifier or number runs, whitespace runs and single other characters.
    static func lexemes(_ s: [UInt8]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 0
        while i < s.count {
            let start = i
            if PythonSyntax.isIdentifierByte(s[i]) {
                while i < s.count && PythonSyntax.isIdentifierByte(s[i]) { i += 1 }
            } else if s[i] == 32 {
                while i < s.count && s[i] == 32 { i += 1 }
            } else {
                i += 1
            }
            result.append(start..<i)
        }
        return result
    }
}
