import Engine
import NetIR

/// pad and its backward over NCHW planes, straight from `PadGeometry.source`: each output copies one input
/// element or the constant; the backward adds each output's gradient to the element it copied.
extension Reference {
    static func pad(_ g: PadGeometry, x: [Float]) -> [Float] {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        var y = [Float](repeating: g.value, count: g.planes * outPlane)
        for plane in 0..<g.planes {
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    if let s = g.source(oh, ow) { y[plane * outPlane + oh * g.outWidth + ow] = x[plane * inPlane + s] }
                }
            }
        }
        return y
    }

    static func padBackward(_ g: PadGeometry, dy: [Float]) -> [Float] {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        var dx = [Double](repeating: 0, count: g.planes * inPlane)
        for plane in 0..<g.planes {
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    if let s = g.source(oh, ow) { dx[plane * inPlane + s] += Double(dy[plane * outPlane + oh * g.outWidth + ow]) }
                }
            }
        }
        return dx.map { Float($0) }
    }
}
