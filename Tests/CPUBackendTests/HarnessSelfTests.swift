import XCTest
import NetIR
import Engine
import ReferenceBackend
import OpTable

/// The comparisons are not tautologies: a backend that runs a subtly different plan is caught, at the
/// instruction that differs and in the whole steps.
final class HarnessSelfTests: XCTestCase {
    /// The reference, running `plan` with one change the caller makes.
    struct AlteredReference: Backend {
        var change: @Sendable (inout Instruction) -> Void
        var name: String { "altered reference" }
        func supports(_ op: Op) -> Bool { ReferenceBackend().supports(op) }
        func load(_ plan: Plan) throws -> any PlanExecutor {
            var altered = plan
            for k in altered.trainProgram.indices { change(&altered.trainProgram[k]) }
            for k in altered.evalProgram.indices { change(&altered.evalProgram[k]) }
            return try ReferenceBackend().load(altered)
        }
    }

    func discrepancies(_ graph: Graph, _ backend: AlteredReference) throws -> (instructions: [Discrepancy], steps: [Discrepancy]) {
        let plan = try PlanCompiler.compile(graph, options: PlanOptions(batchSize: 2))
        let state = ExecutorState(plan: plan, seed: 3)
        let instructions = try compareInstructions(plan, train: true, state: state, learningRate: 0.05, candidate: backend, as: .cpu)
        let steps = try compareSteps(plan, state: state, learningRate: 0.05, steps: 1, tolerance: Tolerances.graph(on: .cpu),
                                     gradientTolerance: Tolerances.graph(on: .cpu), candidate: backend)
        return (instructions, steps)
    }

    func testAWrongPoolDivisorIsCaught() throws {
        var b = NetworkBuilder(input: TensorShape(channels: 2, height: 5, width: 5))
        let c = try b.conv2d("conv", b.input, out: 3, kernel: 1)
        let p = try b.add("pool", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), [c])
        let logits = try b.linear("head", try b.flatten("flatten", p), out: 3)
        let g = try b.build(output: logits)
        let flipped = AlteredReference { ins in
            switch ins.op {
            case .avgPool(var geometry):
                geometry.countIncludePad.toggle()
                ins.op = .avgPool(geometry)
            case .avgPoolBackward(var geometry):
                geometry.countIncludePad.toggle()
                ins.op = .avgPoolBackward(geometry)
            default: break
            }
        }
        let (instructions, steps) = try discrepancies(g, flipped)
        XCTAssertTrue(instructions.contains { $0.location.contains("pool avgPool ") }, "\(instructions)")
        XCTAssertTrue(instructions.contains { $0.location.contains("pool avgPoolBackward") }, "\(instructions)")
        XCTAssertFalse(steps.isEmpty)
        XCTAssertTrue(try discrepancies(g, AlteredReference { _ in }).instructions.isEmpty, "the unaltered reference agrees")
    }

    func testADifferentDropoutMaskIsCaught() throws {
        var b = NetworkBuilder(input: TensorShape(features: 16))
        let d = try b.dropout("drop", try b.linear("fc", b.input, out: 16), p: 0.5)
        let logits = try b.linear("head", d, out: 3)
        let g = try b.build(output: logits)
        let resalted = AlteredReference { ins in
            if case .dropout(let p, let salt) = ins.op { ins.op = .dropout(p: p, salt: salt &+ 1) }
        }
        let (instructions, steps) = try discrepancies(g, resalted)
        XCTAssertTrue(instructions.contains { $0.location.contains("drop dropout") }, "\(instructions)")
        XCTAssertFalse(steps.isEmpty)
    }
}
