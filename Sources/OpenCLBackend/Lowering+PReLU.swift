import Engine

/// PReLU on Kernels/prelu.cl: elementwise forward and dx, one work-group per slope for dSlopes.
extension Lowering {
    func preluForward(_ g: PReLUGeometry, _ ins: Instruction) -> [Launch] {
        [elementwise("prelu.cl", "prelu_forward", count: g.count, ref(ins.inputs[0]) + ref(ins.inputs[1]) + ref(ins.outputs[0])
                         + [.int(g.count), .int(g.channels), .int(g.spatial), .int(g.slopes)])]
    }

    func preluBackward(_ g: PReLUGeometry, _ ins: Instruction, accumulateParameters: Bool) -> [Launch] {
        let (x, dy, slopes) = (ins.inputs[0], ins.inputs[1], ins.inputs[2])
        let (dx, dSlopes) = (ins.outputs[0], ins.outputs[1])
        var launches: [Launch] = []
        if dx.isPresent {
            launches.append(elementwise("prelu.cl", "prelu_backward_data", count: g.count, ref(x) + ref(dy) + ref(slopes) + ref(dx)
                                            + [flag(ins.accumulate), .int(g.count), .int(g.channels), .int(g.spatial), .int(g.slopes)]))
        }
        if dSlopes.isPresent {
            launches.append(reduction("prelu.cl", "prelu_backward_slopes", groups: g.slopes, ref(x) + ref(dy) + ref(dSlopes)
                                          + [flag(accumulateParameters), .int(g.batch), .int(g.channels), .int(g.spatial), .int(g.slopes)]))
        }
        return launches
    }
}
