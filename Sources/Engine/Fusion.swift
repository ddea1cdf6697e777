/// Plan rewrites that any backend may take: each replaces a run of instructions by one fused op when the
/// backend's `supports` answers true for it, and leaves the plan as it is otherwise. They run on the training
/// program while arena tensors are still logical ids, before memory planning, so the fused op's operands get
/// lifetimes of their own (no tensor needs redirecting afterwards). Activation epilogues (conv/linear/batch
/// norm/add + activation) are decided earlier, per node, by `PlanBuilder.fuse`.
enum Fusion {
    /// maxPoolBackward (dy, argmax -> T) directly followed by the backward of the ReLU before the pool, from its
    /// output (y, T -> dx), neither accumulating, T used by nothing else: one maxPoolReluBackward
    /// (dy, argmax, y -> dx). Exact: the scatter puts each dy at its argmax and the mask multiplies by 0 or 1.
    /// Saves writing and reading back T, the pool input's gradient (on the CPU, two passes over its largest tensors).
    static func maxPoolRelu(_ program: [Instruction], takes: (Op) -> Bool) -> [Instruction] {
        var uses: [Int: Int] = [:]
        for ins in program {
            for t in ins.inputs + ins.outputs where t.region == .arena { uses[t.offset, default: 0] += 1 }
        }
        var rewritten: [Instruction] = []
        rewritten.reserveCapacity(program.count)
        var k = 0
        while k < program.count {
            if k + 1 < program.count, let fused = maxPoolRelu(program[k], program[k + 1], uses: uses), takes(fused.op) {
                rewritten.append(fused)
                k += 2
            } else {
                rewritten.append(program[k])
                k += 1
            }
        }
        return rewritten
    }

    static func maxPoolRelu(_ a: Instruction, _ b: Instruction, uses: [Int: Int]) -> Instruction? {
        guard case .maxPoolBackward(let g) = a.op, !a.accumulate, a.inputs.count == 2, a.outputs.count == 1,
              case .activationBackward(.relu, fromOutput: true) = b.op, !b.accumulate, b.inputs.count == 2, b.outputs.count == 1,
              case let t = a.outputs[0], t.region == .arena, b.inputs[1] == t, uses[t.offset] == 2,
              b.inputs[0].count == t.count, b.outputs[0].isPresent else { return nil }
        return Instruction(.maxPoolReluBackward(g), inputs: [a.inputs[0], a.inputs[1], b.inputs[0]], outputs: b.outputs,
                           node: "\(a.node)+\(b.node)")
    }
}
