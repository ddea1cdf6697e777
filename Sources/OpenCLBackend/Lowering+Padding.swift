import Engine
import NetIR

/// pad / padBackward: Kernels/padding.cl, one work-item per output (forward) or input element (backward).
extension Lowering {
    func lowerPad(_ g: PadGeometry, x: TensorRef, y: TensorRef, accumulate: Bool, backward: Bool) -> [Launch] {
        if backward {
            return [elementwise("padding.cl", "pad_backward", count: y.count,
                                ref(x) + ref(y) + [flag(accumulate), .int16(padGeometry(g))])]
        }
        return [elementwise("padding.cl", "pad_forward", count: y.count,
                            ref(x) + ref(y) + [.float(g.value), .int16(padGeometry(g))])]
    }

    /// The `int16` layout padding.cl reads (entries past 7 unused).
    func padGeometry(_ g: PadGeometry) -> [Int] {
        let mode: Int
        switch g.mode {
        case .constant: mode = 0
        case .reflect: mode = 1
        case .replicate: mode = 2
        }
        return [g.planes, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.top, g.left, mode] + Array(repeating: 0, count: 8)
    }
}
