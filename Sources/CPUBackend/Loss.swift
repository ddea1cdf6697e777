#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax, log-softmax and the fused softmax cross-entropy with its gradient (docs/ops.md). Rows are short
/// (the class count), so each row is done in Double for accuracy at no measurable cost.
enum LossKernels {
    static func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, classes: Int, log: Bool) {
        for r in 0..<batch {
            let xr = x + r * classes, yr = y + r * classes
            var top = xr[0]
            for k in 1..<max(classes, 1) where xr[k] > top { top = xr[k] }
            var sum = 0.0
            for k in 0..<classes { sum += exp(Double(xr[k] - top)) }
            if log {
                let lse = Double(top) + Glibc.log(sum)
                for k in 0..<classes { yr[k] = Float(Double(xr[k]) - lse) }
            } else {
                for k in 0..<classes { yr[k] = Float(exp(Double(xr[k] - top)) / sum) }
            }
        }
    }

    /// From the output y: softmax dx = y·(dy − Σ dy·y); log-softmax dx = dy − eʸ·Σ dy.
    static func softmaxBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                batch: Int, classes: Int, log: Bool, accumulate: Bool) {
        for r in 0..<batch {
            let yr = y + r * classes, dyr = dy + r * classes, dxr = dx + r * classes
            var dot = 0.0
            for k in 0..<classes { dot += log ? Double(dyr[k]) : Double(dyr[k]) * Double(yr[k]) }
            for k in 0..<classes {
                let g = log ? Double(dyr[k]) - exp(Double(yr[k])) * dot : Double(yr[k]) * (Double(dyr[k]) - dot)
                dxr[k] = accumulate ? dxr[k] + Float(g) : Float(g)
            }
        }
    }

    /// Mean cross-entropy with label smoothing over rows whose label is in 0..<classes; writes dLogits (when
    /// present) and adds [loss sum, correct, counted] to metrics.
    static func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>,
                                    _ dLogits: UnsafeMutablePointer<Float>?, _ metrics: UnsafeMutablePointer<Float>,
                                    batch: Int, classes: Int, smoothing: Float) {
        var counted = 0
        for r in 0..<batch where labels[r] >= 0 && Int(labels[r]) < classes { counted += 1 }
        let eps = Double(smoothing), k = Double(classes)
        var lossSum = 0.0, correct = 0.0
        for r in 0..<batch {
            let xr = logits + r * classes
            let label = Int(labels[r])
            let valid = label >= 0 && label < classes
            guard valid else {
                if let d = dLogits { (d + r * classes).update(repeating: 0, count: classes) }
                continue
            }
            var top = xr[0], arg = 0
            for c in 1..<max(classes, 1) where xr[c] > top { top = xr[c]; arg = c }
            if arg == label { correct += 1 }
            var sum = 0.0, logitSum = 0.0
            for c in 0..<classes { sum += exp(Double(xr[c] - top)); logitSum += Double(xr[c]) }
            let lse = Double(top) + log(sum)
            let logpLabel = Double(xr[label]) - lse
            let sumLogp = logitSum - k * lse
            lossSum += -(1 - eps) * logpLabel - eps / k * sumLogp
            if let d = dLogits {
                let dr = d + r * classes, inv = 1 / Double(counted)
                for c in 0..<classes {
                    let p = exp(Double(xr[c]) - lse)
                    let target = (c == label ? 1 - eps : 0) + eps / k
                    dr[c] = Float((p - target) * inv)
                }
            }
        }
        metrics[0] += Float(lossSum)
        metrics[1] += Float(correct)
        metrics[2] += Float(counted)
    }
}
