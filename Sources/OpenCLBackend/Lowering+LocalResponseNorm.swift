import Engine

/// localResponseNorm (LocalResponseNorm, F.normalize) on Kernels/localresponse.cl: one work-item per (sample,
/// position), sliding over the channels.
extension Lowering {
    func localResponseNormForward(_ g: ChannelWindowGeometry, _ ins: Instruction) -> [Launch] {
        let base = ins.outputs.count > 1 ? ins.outputs[1] : .absent
        return [elementwise("localresponse.cl", "lrn_forward", count: g.batch * g.spatial,
                            ref(ins.inputs[0]) + ref(ins.outputs[0]) + ref(base) + [flag(base.isPresent)] + window(g) + [.float(g.k)])]
    }

    func localResponseNormBackward(_ g: ChannelWindowGeometry, _ ins: Instruction) -> [Launch] {
        [elementwise("localresponse.cl", "lrn_backward", count: g.batch * g.spatial,
                     ref(ins.inputs[0]) + ref(ins.inputs[1]) + ref(ins.inputs[2]) + ref(ins.outputs[0]) + [flag(ins.accumulate)] + window(g))]
    }

    private func window(_ g: ChannelWindowGeometry) -> [LaunchArg] {
        [.int(g.batch), .int(g.channels), .int(g.spatial), .int(g.before), .int(g.after), .float(g.alpha), .float(g.beta)]
    }
}
