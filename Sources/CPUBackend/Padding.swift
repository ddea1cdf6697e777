import Engine
import NetIR

/// pad and padBackward over NCHW planes (docs/ops.md). The row and column sources (`PadGeometry.source`,
/// -1 for the constant) are tabulated once at bind time; work is split by plane range, so the backward's
/// scatter-add (several outputs copy one input under reflect and replicate) never races.
enum PaddingKernels {
    static func pad(_ g: PadGeometry, rows: [Int32], columns: [Int32], _ x: UnsafePointer<Float>,
                    _ y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane
            for oh in 0..<g.outHeight {
                let yr = yp + oh * g.outWidth, ih = Int(rows[oh])
                guard ih >= 0 else {
                    for ow in 0..<g.outWidth { yr[ow] = g.value }
                    continue
                }
                let xr = xp + ih * g.inWidth
                for ow in 0..<g.outWidth {
                    let iw = Int(columns[ow])
                    yr[ow] = iw >= 0 ? xr[iw] : g.value
                }
            }
        }
    }

    static func padBackward(_ g: PadGeometry, rows: [Int32], columns: [Int32], _ dy: UnsafePointer<Float>,
                            _ dx: UnsafeMutablePointer<Float>, accumulate: Bool, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let dyp = dy + p * outPlane, dxp = dx + p * inPlane
            if !accumulate { dxp.update(repeating: 0, count: inPlane) }
            for oh in 0..<g.outHeight {
                let ih = Int(rows[oh])
                guard ih >= 0 else { continue }
                let dyr = dyp + oh * g.outWidth, dxr = dxp + ih * g.inWidth
                for ow in 0..<g.outWidth {
                    let iw = Int(columns[ow])
                    if iw >= 0 { dxr[iw] += dyr[ow] }
                }
            }
        }
    }

    /// Source index of each output row (or column) along one dimension, -1 where the constant fills.
    static func sources(count: Int, before: Int, size: Int, mode: PadMode) -> [Int32] {
        (0..<count).map { Int32(PadAttributes.source($0, before: before, size: size, mode: mode) ?? -1) }
    }
}

extension Binder {
    func bindPad(_ ins: Instruction, _ g: PadGeometry, backward: Bool) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let rows = PaddingKernels.sources(count: g.outHeight, before: g.top, size: g.inHeight, mode: g.mode)
        let columns = PaddingKernels.sources(count: g.outWidth, before: g.left, size: g.inWidth, mode: g.mode)
        let x = try required(ins.inputs[0], ins)
        let work = g.planes * g.outHeight * g.outWidth
        if !backward {
            let y = try required(ins.outputs[0], ins)
            return planes(g.planes, elements: work) { r in PaddingKernels.pad(g, rows: rows, columns: columns, x, y, planes: r) }
        }
        guard let dx = pointer(ins.outputs[0]) else { return {} }
        let acc = ins.accumulate
        return planes(g.planes, elements: work) { r in
            PaddingKernels.padBackward(g, rows: rows, columns: columns, x, dx, accumulate: acc, planes: r)
        }
    }
}
