/// Plan rewrites that any backend may take: each replaces a run of instructions by one fused op when the
/// backend's `supports` answers true for it, and leaves the plan as it is otherwise. They run on the training
/// and eval programs while arena tensors are still logical ids, before memory planning, so the fused op's operands get
/// lifetimes of their own (no tensor needs redirecting afterwards; the dropped intermediate gets no memory).
/// Activation epilogues (conv/linear/batch norm/add + activation) are decided earlier, per node, by
/// `PlanBuilder.absorbedBy`.
enum Fusion {
    /// A rule: two adjacent instructions and the use count of every arena tensor (logical id) -> the fused one.
    typealias PairRule = (_ a: Instruction, _ b: Instruction, _ uses: [Int: Int]) -> Instruction?

    static var pairRules: [PairRule] { [maxPoolRelu, batchNormRelu, batchNormAdd] }

    /// Every pair rule over `program`, left to right, each fused op kept only where `takes` answers true for it.
    static func pairs(_ program: [Instruction], takes: (Op) -> Bool) -> [Instruction] {
        var uses: [Int: Int] = [:]
        for ins in program {
            for t in ins.inputs + ins.outputs where t.region == .arena { uses[t.offset, default: 0] += 1 }
        }
        var rewritten: [Instruction] = []
        rewritten.reserveCapacity(program.count)
        var k = 0
        while k < program.count {
            let fused = k + 1 < program.count
                ? pairRules.lazy.compactMap { $0(program[k], program[k + 1], uses) }.first { takes($0.op) } : nil
            if let fused {
                rewritten.append(fused)
                k += 2
            } else {
                rewritten.append(program[k])
                k += 1
            }
        }
        return rewritten
    }

    /// maxPoolBackward (dy, argmax -> T) directly followed by the backward of the ReLU before the pool, from its
    /// output (y, T -> dx), neither accumulating, T used by nothing else: one maxPoolReluBackward
    /// (dy, argmax, y -> dx). Exact: the scatter puts each dy at its argmax and the mask multiplies by 0 or 1.
    /// Saves writing and reading back T, the pool input's gradient (on the CPU, two passes over its largest tensors).
    static func maxPoolRelu(_ a: Instruction, _ b: Instruction, uses: [Int: Int]) -> Instruction? {
        guard case .maxPoolBackward(let g) = a.op, !a.accumulate, a.inputs.count == 2, a.outputs.count == 1,
              case .activationBackward(.relu, fromOutput: true) = b.op, !b.accumulate, b.inputs.count == 2, b.outputs.count == 1,
              case let t = a.outputs[0], t.region == .arena, b.inputs[1] == t, uses[t.offset] == 2,
              b.inputs[0].count == t.count, b.outputs[0].isPresent else { return nil }
        return Instruction(.maxPoolReluBackward(g), inputs: [a.inputs[0], a.inputs[1], b.inputs[0]], outputs: b.outputs,
                           node: "\(a.node)+\(b.node)")
    }

    /// The backward of a ReLU from its output (y, dy -> T), not accumulating, directly followed by a batch norm's
    /// backward reading T as its dy (x, T, scale?, mean, invstd -> dx?, dScale?, dShift?), T used by nothing else:
    /// one batchNormReluBackward (x, dy, scale?, mean, invstd, y -> dx?, dScale?, dShift?) with the batch norm's
    /// accumulate flags. The autodiff emits this pair for every batch norm whose ReLU folded into its epilogue
    /// (resnet8's bn0 and each block's bn1). Exact in the mask; the sums see the same masked values.
    /// Saves writing T and reading it back twice (statistics and dx passes) for one pass that reads y.
    static func batchNormRelu(_ a: Instruction, _ b: Instruction, uses: [Int: Int]) -> Instruction? {
        guard case .activationBackward(.relu, fromOutput: true) = a.op, !a.accumulate, a.inputs.count == 2, a.outputs.count == 1,
              case .batchNormBackward(let g, let accumulateParameters) = b.op, b.inputs.count == 5, b.outputs.count == 3,
              case let t = a.outputs[0], t.region == .arena, uses[t.offset] == 2, b.inputs[1] == t,
              a.inputs[0].count == t.count, a.inputs[1].count == t.count, b.inputs[0].count == t.count else { return nil }
        return Instruction(.batchNormReluBackward(g, accumulateParameters: accumulateParameters),
                           inputs: [b.inputs[0], a.inputs[1], b.inputs[2], b.inputs[3], b.inputs[4], a.inputs[0]],
                           outputs: b.outputs, accumulate: b.accumulate, node: a.node == b.node ? b.node : "\(a.node)+\(b.node)")
    }

    /// A batch norm without activation (x, scale?, shift?, runningMean, runningVar -> T, savedMean, savedInvStd)
    /// directly followed by an add of T and one other tensor R of its size (-> y, with the add's activation), T used
    /// by nothing else: one batchNormAdd (x, scale?, shift?, runningMean, runningVar, R -> y, savedMean, savedInvStd).
    /// resnet8's block ends (bn2 or the shortcut's batch norm, whichever comes right before the add). Training and
    /// eval programs alike. Exact: the same Float sum of the normalised value and R. Saves writing T and reading it back.
    static func batchNormAdd(_ a: Instruction, _ b: Instruction, uses: [Int: Int]) -> Instruction? {
        guard case .batchNorm(let g, let training, nil) = a.op, a.inputs.count == 5, a.outputs.count == 3,
              case .add(let act) = b.op, !b.accumulate, b.inputs.count == 2, b.outputs.count == 1,
              case let t = a.outputs[0], t.region == .arena, uses[t.offset] == 2,
              let k = b.inputs.firstIndex(of: t), case let r = b.inputs[1 - k], r != t, r.count == t.count,
              b.outputs[0].count == t.count else { return nil }
        return Instruction(.batchNormAdd(g, training: training, activation: act), inputs: a.inputs + [r],
                           outputs: [b.outputs[0], a.outputs[1], a.outputs[2]], node: "\(a.node)+\(b.node)")
    }
}
