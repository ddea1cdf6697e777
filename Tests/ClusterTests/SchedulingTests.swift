import XCTest
@testable import Cluster

/// Placement by measured speed, and the launcher detection that decides whether MPI is loaded at all.
final class SchedulingTests: XCTestCase {
    func testUnmeasuredSlotsFirstThenFastestFree() {
        var s = SlotScheduler(count: 3)
        XCTAssertEqual(s.take(), 0)
        XCTAssertEqual(s.take(), 1)
        XCTAssertEqual(s.take(), 2)
        XCTAssertNil(s.take())
        s.record(0, speed: 10); s.record(1, speed: 30); s.record(2, speed: 20)
        s.release(0); s.release(2)
        XCTAssertEqual(s.take(), 2, "slot 2 (20) is faster than slot 0 (10)")
        s.release(1)
        XCTAssertEqual(s.take(), 1, "the fastest slot gets the next child once free")
        XCTAssertEqual(s.take(), 0, "the slow slot only when the faster ones are busy")
        XCTAssertEqual(s.freeCount, 0)
    }

    func testNonFiniteSpeedsAreIgnored() {
        var s = SlotScheduler(count: 2)
        s.record(0, speed: .nan); s.record(1, speed: 5)
        XCTAssertEqual(s.take(), 0, "slot 0 still counts as unmeasured")
    }

    func testLauncherDetection() {
        XCTAssertNil(MPIEnvironment.detect([:]), "a plain run loads no MPI")
        XCTAssertNil(MPIEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"]),
                     "one rank runs the plain search")
        XCTAssertEqual(MPIEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "2"]),
                       MPIEnvironment(size: 3, rank: 2, library: "libmpi.so.40"))
        XCTAssertEqual(MPIEnvironment.detect(["PMIX_RANK": "1", "SLURM_NTASKS": "4", "LLMATIC_MPI_LIBRARY": "/opt/mpi.so"]),
                       MPIEnvironment(size: 4, rank: 1, library: "/opt/mpi.so"))
    }
}
