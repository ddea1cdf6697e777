import Foundation
import Engine

/// softmaxCrossEntropy with label smoothing ε over K classes: a row counts when its label is in 0..<K;
/// `loss = -(1-ε)·logp[label] - (ε/K)·Σ_k logp[k]`, `dLogits = (softmax - ((1-ε)·onehot + ε/K)) / counted`.
extension Reference {
    struct CrossEntropyResult {
        var dLogits: [Float]
        var lossSum: Double
        var correct: Int
        var counted: Int
    }

    static func softmaxCrossEntropy(batch: Int, classes: Int, labelSmoothing: Float, logits: [Float],
                                    labels: [Int32]) -> CrossEntropyResult {
        let eps = Double(labelSmoothing), k = Double(classes)
        let counted = labels.prefix(batch).filter { $0 >= 0 && Int($0) < classes }.count
        var r = CrossEntropyResult(dLogits: [Float](repeating: 0, count: batch * classes), lossSum: 0, correct: 0,
                                   counted: counted)
        for n in 0..<batch {
            let label = Int(labels[n])
            guard label >= 0 && label < classes else { continue }   // padding row: no loss, no gradient
            let row = logits[(n * classes)..<((n + 1) * classes)]
            let lse = logSumExp(row)
            let logp = row.map { Double($0) - lse }
            r.lossSum += -(1 - eps) * logp[label] - eps / k * logp.reduce(0, +)
            // First maximum: a later equal logit does not win.
            var best = 0
            for c in 1..<classes where row[row.startIndex + c] > row[row.startIndex + best] { best = c }
            if best == label { r.correct += 1 }
            for c in 0..<classes {
                let target = (c == label ? 1 - eps : 0) + eps / k
                r.dLogits[n * classes + c] = Float((exp(logp[c]) - target) / Double(counted))
            }
        }
        return r
    }
}
