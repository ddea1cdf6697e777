import XCTest
import NetCode
import NetIR
@testable import Search

/// The closing generations of a timed run: the next generation's worst case is every child as long as the
/// longest child of the last five generations, on the devices there are (`worstRecentGeneration`), so one
/// long child makes a generation of several long ones foreseeable before it starts.
final class ClosingGenerationTests: XCTestCase {
    func testWorstCaseGenerationFromTheLongestRecentChild() throws {
        let dir = TestRun.folder("closing")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let engine = try TestRun.engine(dir, config: TestRun.config(batch: 4))
        XCTAssertEqual(engine.worstRecentGeneration, 0, "nothing measured yet")
        engine.generationSeconds = [10]
        engine.childSeconds = [2, 9, 1]
        XCTAssertEqual(engine.worstRecentGeneration, 36, accuracy: 1e-9, "four children of 9 s on one device")
        engine.childSeconds += Array(repeating: 1, count: 5 * 4)
        XCTAssertEqual(engine.worstRecentGeneration, 10, accuracy: 1e-9,
                       "children older than five generations drop out; never below the longest generation")
        let dir2 = TestRun.folder("closing2")
        defer { try? FileManager.default.removeItem(atPath: dir2.root) }
        let twoDevices = try TestRun.engine(dir2, config: TestRun.config(batch: 4), evaluator: FakeEvaluator(devices: 2))
        twoDevices.childSeconds = [9]
        XCTAssertEqual(twoDevices.worstRecentGeneration, 18, accuracy: 1e-9, "two devices share the four children")
    }
    /// A child of a closing generation whose FLOPs exceed the generation's time-left cap is dropped untrained
    /// (no folder, no record); under the cap, or without one, it trains.
    func testChildOverTheTimeLeftCapIsNotTrained() async throws {
        let dir = TestRun.folder("closing-drop")
        defer { try? FileManager.default.removeItem(atPath: dir.root) }
        let evaluator = FakeEvaluator()
        let engine = try TestRun.engine(dir, config: TestRun.config(), evaluator: evaluator)
        let source = NetworkCodec.pytorch(input: TestRun.fashion).emit(try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion))
        let flops = try BuiltinNetwork.smallcnn.graph(input: TestRun.fashion).cost().flops
        func child(_ id: Int, generation: Int) async -> CandidateRecord? {
            let plan = ChildPlan(id: id, generation: generation, operation: .seed, parents: [], temperature: 0)
            return await engine.makeChild(plan, source: .success(MutationOutput(source: source, prompt: "p\n", note: "n")),
                                          turns: CandidateTurns(order: [id]))
        }
        engine.plannedArchives.set(.init(timeLeftCap: flops - 1), generation: 7)
        let dropped = await child(70, generation: 7)
        XCTAssertNil(dropped)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.candidateFolder(70)))
        XCTAssertFalse(evaluator.jobs.contains(70))
        engine.plannedArchives.set(.init(timeLeftCap: flops), generation: 8)
        let trained = await child(80, generation: 8)
        XCTAssertNil(trained?.failure)
        XCTAssert(evaluator.jobs.contains(80))
    }
}
