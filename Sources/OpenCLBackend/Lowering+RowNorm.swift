import Engine

/// rowNorm (GroupNorm, InstanceNorm, LayerNorm) on Kernels/rownorm.cl: one work-group per row for the forward and
/// dx, one per affine parameter for dγ/dβ.
extension Lowering {
    func rowNormForward(_ g: RowNormGeometry, _ ins: Instruction) -> [Launch] {
        let (scale, shift) = (ins.inputs[1], ins.inputs[2])
        let saved = ins.outputs.count > 2 && ins.outputs[1].isPresent && ins.outputs[2].isPresent
        let mean = saved ? ins.outputs[1] : .absent, invStd = saved ? ins.outputs[2] : .absent
        return [reduction("rownorm.cl", "rownorm_forward", groups: g.rows,
                          ref(ins.inputs[0]) + ref(scale) + [flag(scale.isPresent)] + ref(shift) + [flag(shift.isPresent)]
                              + ref(ins.outputs[0]) + ref(mean) + [flag(saved)] + ref(invStd)
                              + [.int(g.inner), .int(g.period), .int(g.divisor), .float(g.eps)])]
    }

    func rowNormBackward(_ g: RowNormGeometry, _ ins: Instruction, accumulateParameters: Bool) -> [Launch] {
        let (x, dy, scale, mean, invStd) = (ins.inputs[0], ins.inputs[1], ins.inputs[2], ins.inputs[3], ins.inputs[4])
        let (dx, dScale, dShift) = (ins.outputs[0], ins.outputs[1], ins.outputs[2])
        var launches: [Launch] = []
        if dx.isPresent {
            launches.append(reduction("rownorm.cl", "rownorm_backward_data", groups: g.rows,
                                      ref(x) + ref(dy) + ref(scale) + [flag(scale.isPresent)] + ref(mean) + ref(invStd)
                                          + ref(dx) + [flag(ins.accumulate), .int(g.inner), .int(g.period), .int(g.divisor)]))
        }
        if dScale.isPresent || dShift.isPresent {
            launches.append(reduction("rownorm.cl", "rownorm_backward_params", groups: g.parameterCount,
                                      ref(x) + ref(dy) + ref(mean) + ref(invStd)
                                          + ref(dScale) + [flag(dScale.isPresent)] + ref(dShift) + [flag(dShift.isPresent)]
                                          + [flag(accumulateParameters), .int(g.rows), .int(g.inner), .int(g.period), .int(g.divisor)]))
        }
        return launches
    }
}
