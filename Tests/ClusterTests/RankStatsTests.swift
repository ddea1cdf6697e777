import Foundation
import XCTest
@testable import Cluster

/// The `mpi-stats` accounting on a clock the test sets: busy is a slot's seconds holding a child, idle the gaps
/// between one child's end and the next one's start on the same slot (not before a slot's first child), and the
/// line carries the keys scripts/bench-mpi reads.
final class RankStatsTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        var t = 100.0
        func read() -> Double { t }
    }

    func testBusyAndIdleAreCountedPerSlot() throws {
        let clock = Clock()
        let stats = RankStats(clock: { clock.read() })
        clock.t = 101; stats.begin(slot: 0)          // first child on slot 0: no idle before it
        clock.t = 103; stats.begin(slot: 1)          // slot 1 starts while slot 0 is busy
        clock.t = 104; stats.end(slot: 0)            // slot 0 busy 3 s
        clock.t = 104.5; stats.begin(slot: 0)        // slot 0 idle 0.5 s
        clock.t = 107; stats.end(slot: 1)            // slot 1 busy 4 s
        clock.t = 108; stats.end(slot: 0)            // slot 0 busy 3.5 s
        clock.t = 110; stats.begin(slot: 1)          // slot 1 idle 3 s
        clock.t = 111; stats.end(slot: 1)            // slot 1 busy 1 s
        stats.end(slot: 1)                           // an end without a begin counts nothing
        let line = stats.line(rank: 2)
        let fields = Dictionary(uniqueKeysWithValues: line.split(separator: " ").dropFirst().map { pair -> (String, Double) in
            let kv = pair.split(separator: "=")
            return (String(kv[0]), Double(kv[1]) ?? .nan)
        })
        XCTAssertTrue(line.hasPrefix("mpi-stats rank=2 "), line)
        XCTAssertEqual(fields["jobs"], 4)
        XCTAssertEqual(try XCTUnwrap(fields["busy"]), 3 + 4 + 3.5 + 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fields["idle"]), 0.5 + 3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fields["longest-idle"]), 3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fields["first-job"]), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fields["last-end"]), 11, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fields["wall"]), 11, accuracy: 1e-9)
        // getrusage of this test process: it has run, so some CPU time is on the clock.
        XCTAssertGreaterThan(try XCTUnwrap(fields["cpu"]), 0)
        XCTAssertEqual(try XCTUnwrap(fields["cpu"]), fields["user"]! + fields["sys"]!, accuracy: 2e-3)
    }

    func testMarksAreKeptOnce() {
        let clock = Clock()
        let stats = RankStats(clock: { clock.read() })
        clock.t = 102; stats.mark("ready")
        clock.t = 105; stats.mark("ready")
        XCTAssertTrue(stats.line(rank: 0).contains(" ready=2.000"), stats.line(rank: 0))
    }
}
