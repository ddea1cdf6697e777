import Foundation

/// Builds report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) from the
/// run folder alone, so `llmatic report DIR` can rebuild it at any time, also mid-run.
public enum Report {
    public static func write(_ directory: RunDirectory, topK: Int = 5) throws(RunDirectoryError) {
        try directory.writeText(try build(directory, topK: topK), to: directory.reportPath)
    }

    public static func build(_ directory: RunDirectory, topK: Int = 5) throws(RunDirectoryError) -> String {
        let config = try directory.readJSON(SearchConfig.self, from: directory.configPath)
        var state = SearchState(config: config)
        let records = state.replay(EventLog.read(RunEvent.self, from: directory.eventsPath))
        let final = try? directory.readJSON(FinalResults.self, from: directory.finalPath)
        return page(config: config, state: state, records: records, final: final, directory: directory, topK: topK)
    }

    static func page(config: SearchConfig, state: SearchState, records: [CandidateRecord], final: FinalResults?,
                     directory: RunDirectory, topK: Int) -> String {
        let e = HTML.escape
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>llmatic search: \(e(URL(fileURLWithPath: directory.root).lastPathComponent))</title>"
        h += "<style>\(css)</style></head><body>"
        h += "<h1>LLMatic search</h1>"
        h += "<p class=\"meta\">data <b>\(e(config.data))</b>, seed network <b>\(e(config.seedNetwork))</b>, mutator <b>\(e(mutatorName(config)))</b>, seed \(config.seed), \(config.niches) niches, fitness: validation \(e(config.fitness.rawValue))</p>"
        h += summary(state, final)
        h += finalNetworkSection(directory)
        h += "<h2>Network archive</h2><div class=\"row\"><div>" + heatMap(config, state) + "</div><div>"
        h += SVGChart.lineChart(state.history.map { (Double($0.evaluations), $0.bestAccuracy) }, title: "best validation accuracy")
        h += SVGChart.lineChart(state.history.map { (Double($0.evaluations), Optional($0.coverage)) }, title: "archive coverage",
                                yRange: 0...max(state.coverage, 0.05), colour: "#d62728")
        h += qdScoreChart(state)
        h += "</div></div>"
        h += promptSection(state, pool: config.selectionPool)
        h += ChildYield(records: records, duplicates: DuplicateRecord.all(in: directory.eventsPath)).htmlTable()
        h += failureSection(records)
        h += bestSection(state, records, directory, topK)
        h += "<p class=\"meta\">Generated \(e(CandidateRecord.now())) from \(records.count) candidate records.</p>"
        return h + "</body></html>\n"
    }

    static let css = """
    body{font-family:system-ui,-apple-system,sans-serif;margin:24px;color:#222;max-width:1100px}
    h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
    .meta{color:#555;font-size:13px}.row{display:flex;flex-wrap:wrap;gap:16px}
    table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
    th{background:#f4f4f4}td.l,th.l{text-align:left}.kpi{display:flex;gap:24px;flex-wrap:wrap}
    .kpi div{background:#f7f7f7;padding:8px 14px;border-radius:6px}.kpi b{display:block;font-size:20px}
    pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;max-height:480px}
    """

    static func mutatorName(_ c: SearchConfig) -> String {
        if c.mutator.kind == .llm, let l = c.mutator.llm { return "LLM \(l.model) (\(l.api.rawValue))" }
        return "rules"
    }

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }

    static func summary(_ state: SearchState, _ final: FinalResults?) -> String {
        var h = "<div class=\"kpi\">"
        h += "<div>evaluations<b>\(state.evaluations)</b></div><div>failures<b>\(state.failures)</b></div>"
        h += "<div>archive coverage<b>\(pct(state.coverage))</b></div>"
        h += "<div>QD-score<b>\(String(format: "%.2f", QualityDiversity.score(state.networks)))</b></div>"
        h += "<div>best validation accuracy<b>\(pct(state.bestAccuracy))</b></div>"
        if let f = final, let t = f.testAccuracy {
            h += "<div>test accuracy of the best (#\(f.candidate))<b>\(pct(t))</b></div>"
            if f.epochs > 0, let a = f.finalTestAccuracy {
                h += "<div>after \(f.epochs) more epoch(s)<b>\(pct(a))</b></div>"
            }
        }
        return h + "</div>"
    }

    static func heatMap(_ config: SearchConfig, _ state: SearchState) -> String {
        var cells: [Int: SVGChart.Cell] = [:]
        for (n, elite) in state.networks.elites {
            let p = elite.payload
            let accuracy = String(format: "%.4f", p.accuracy)
            cells[n] = SVGChart.Cell(fitness: elite.fitness, label: "#\(p.candidate) (\(p.operation)): accuracy \(accuracy), "
                + "\(p.cost.parameters) parameters, \(shortNumber(Double(p.cost.flops))) FLOPs, depth \(p.cost.depth), width \(p.cost.width)")
        }
        let r = config.descriptors.log10RatioRange, f = config.descriptors.log10FlopsRange
        let xTicks = (0...4).map { k -> (Double, String) in
            let v = r.lowerBound + (r.upperBound - r.lowerBound) * Double(k) / 4
            return (Double(k) / 4, String(format: "%.3g", pow(10, v)))
        }
        let yTicks = (0...4).map { k -> (Double, String) in
            let v = f.lowerBound + (f.upperBound - f.lowerBound) * Double(k) / 4
            return (Double(k) / 4, shortNumber(pow(10, v)))
        }
        return SVGChart.heatMap(centroids: state.networks.centroids, cells: cells, xLabel: "depth / width (log scale)",
                                yLabel: "FLOPs per sample (log scale)", xTicks: xTicks, yTicks: yTicks)
    }

    static func shortNumber(_ x: Double) -> String {
        if x >= 1e9 { return String(format: "%.3gG", x / 1e9) }
        if x >= 1e6 { return String(format: "%.3gM", x / 1e6) }
        if x >= 1e3 { return String(format: "%.3gk", x / 1e3) }
        return String(format: "%.3g", x)
    }

    static func promptSection(_ state: SearchState, pool: Int) -> String {
        var h = "<h2>Prompts</h2><table><tr><th class=\"l\">instruction</th><th>uses</th><th>entered archive</th>"
        h += "<th>failed</th><th>success rate</th><th>curiosity</th><th>mean temperature</th></tr>"
        let order = ["seed"] + MutationInstruction.allCases.map(\.description) + ["crossover"]
        for name in order {
            guard let s = state.stats[name] else { continue }
            let rate = s.uses > 0 ? Double(s.successes) / Double(s.uses) : 0
            h += "<tr><td class=\"l\">\(HTML.escape(name))</td><td>\(s.uses)</td><td>\(s.successes)</td><td>\(s.failures)</td>"
            h += "<td>\(pct(rate))</td><td>\(String(format: "%.1f", s.curiosity))</td><td>\(String(format: "%.2f", s.meanTemperature))</td></tr>"
        }
        h += "</table><p class=\"meta\">Prompt archive: \(state.prompts.archive.count) of \(state.prompts.archive.centroids.count) niches filled. Prompts by curiosity (mutations draw from the top \(pool)):</p>"
        h += "<table><tr><th class=\"l\">instruction</th><th>curiosity</th><th>temperature</th><th>from candidate</th></tr>"
        for p in state.prompts.mostCurious(MutationInstruction.allCases.count) {
            h += "<tr><td class=\"l\">\(HTML.escape(p.instruction.description))</td><td>\(String(format: "%.1f", p.curiosity))</td>"
            h += "<td>\(String(format: "%.2f", p.temperature))</td><td>\(p.candidate >= 0 ? "#\(p.candidate)" : "-")</td></tr>"
        }
        return h + "</table>"
    }

    static func failureSection(_ records: [CandidateRecord]) -> String {
        var counts: [String: Int] = [:]
        var example: [String: String] = [:]
        for r in records {
            guard let f = r.failure else { continue }
            counts[f.kind, default: 0] += 1
            if example[f.kind] == nil { example[f.kind] = "#\(r.id): " + String(f.message.prefix(300)) }
        }
        guard !counts.isEmpty else { return "<h2>Failures</h2><p>None.</p>" }
        var h = "<h2>Failures</h2><table><tr><th class=\"l\">kind</th><th>count</th><th class=\"l\">first example</th></tr>"
        for (kind, n) in counts.sorted(by: { $0.value > $1.value }) {
            h += "<tr><td class=\"l\">\(HTML.escape(kind))</td><td>\(n)</td><td class=\"l\">\(HTML.escape(example[kind] ?? ""))</td></tr>"
        }
        return h + "</table>"
    }

    static func bestSection(_ state: SearchState, _ records: [CandidateRecord], _ directory: RunDirectory, _ topK: Int) -> String {
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var h = "<h2>Best networks</h2>"
        for (rank, elite) in state.networks.ranked.prefix(topK).enumerated() {
            let p = elite.payload
            let r = byID[p.candidate]
            let parents = (r?.parents ?? []).map { "#\($0)" }.joined(separator: ", ")
            h += "<h3>\(rank + 1). candidate #\(p.candidate): validation accuracy \(pct(p.accuracy))</h3>"
            h += "<p class=\"meta\">\(HTML.escape(p.operation.description)) of \(HTML.escape(parents.isEmpty ? "-" : parents)), generation \(p.generation); "
            h += "\(p.cost.parameters) parameters, \(shortNumber(Double(p.cost.flops))) FLOPs, depth \(p.cost.depth), width \(p.cost.width)"
            if let note = r?.note { h += "<br>\(HTML.escape(String(note.prefix(500))))" }
            h += "</p>"
            let code = directory.read(directory.candidateFile(p.candidate, .source)) ?? "(net.py missing)"
            h += "<details\(rank == 0 ? " open" : "")><summary>net.py</summary><pre><code>\(HTML.escape(String(code.prefix(100_000))))</code></pre></details>"
        }
        return h
    }
}
