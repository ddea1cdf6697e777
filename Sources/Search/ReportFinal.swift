import Foundation

/// The report's headline section for a `--run-time` run: the final network (final.py, final.safetensors),
/// its test accuracy, the recipe it was retrained with, and the promotions it was chosen from.
extension Report {
    static func finalNetworkSection(_ directory: RunDirectory) -> String {
        guard let f = try? directory.readJSON(FinalNetworkResult.self, from: directory.path(SearchEngine.finalNetworkJSON)) else { return "" }
        let e = HTML.escape
        var h = "<h2>Final network</h2><div class=\"kpi\">"
        if let k = f.kept {
            h += "<div>test accuracy (#\(f.candidate), the search's \(k.from) weights)<b>\(pct(k.testAccuracy))</b></div>"
            h += "<div>validation accuracy<b>\(pct(k.validationAccuracy))</b></div>"
        } else if let r = f.retrain {
            h += "<div>test accuracy (#\(f.candidate), retrained)<b>\(pct(r.testAccuracy))</b></div>"
            h += "<div>best validation accuracy<b>\(pct(r.validationAccuracy))</b></div>"
        }
        h += "</div><p class=\"meta\">chosen by \(e(f.chosenBy)); source <code>\(e(f.source))</code>"
        if let w = f.widthFactor, w != 1 { h += String(format: " (#%d with every hidden Conv2d/Linear %gx as wide)", f.candidate, w) }
        if let w = f.weights { h += ", weights <code>\(e(w))</code>" }
        if let r = f.retrain {
            h += String(format: "; retrained from scratch for %d epoch(s) in %.0f s (budget %.0f s), weights of epoch %d; ",
                        r.epochs, r.seconds, f.seconds, r.bestEpoch)
            h += "SGD Nesterov, cosine with 5% warm-up, label smoothing 0.1, weight decay 5e-4" + (r.augmented ? ", random crop + flip" : "")
            if let lr = f.learningRateScale { h += String(format: "; the learning rate x%g after diverged tries", lr) }
        }
        if let failure = f.failure { h += "; <b>failed</b>: \(e(failure))" }
        if let k = f.kept {
            let retrain = f.retrain.map { String(format: "reached %.2f%% validation (test %.2f%%)", 100 * $0.validationAccuracy,
                                                 100 * $0.testAccuracy) } ?? "failed"
            h += "; the retrain \(retrain), so the search's \(e(k.from)) weights ship"
                + (f.retrain == nil ? "" : " (the retrain's files are \(SearchEngine.retrainedSourceName) and \(SearchEngine.retrainedWeightsName))")
        }
        h += "</p>"
        if !f.promotions.isEmpty {
            h += "<table><tr><th>candidate</th><th>explore steps</th><th>validation</th><th>promoted steps</th><th>validation</th><th>seconds</th></tr>"
            for p in f.promotions {
                h += "<tr><td>#\(p.candidate)</td><td>\(p.exploreSteps)</td><td>\(pct(p.exploreAccuracy))</td><td>\(p.promotedSteps)</td>"
                    + "<td>\(pct(p.promotedAccuracy))</td><td>\(String(format: "%.1f", p.seconds))</td></tr>"
            }
            h += "</table><p class=\"meta\">Accuracies are compared only within a column: each fidelity (steps) apart.</p>"
        }
        return h
    }

    /// The QD-score curve (sum of fitness over filled niches, after each candidate).
    static func qdScoreChart(_ state: SearchState) -> String {
        let points = state.history.map { (Double($0.evaluations), $0.qdScore) }
        guard points.contains(where: { $0.1 != nil }) else { return "" }
        return SVGChart.lineChart(points, title: String(format: "QD-score (now %.2f)", QualityDiversity.score(state.networks)),
                                  colour: "#2ca02c")
    }
}
