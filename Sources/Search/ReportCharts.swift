import Foundation

/// HTML escaping for every piece of text that did not come from this file: code, notes, failure messages.
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default:
                // Other C0 controls are not allowed in HTML text; show them as the replacement character.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" { out += "\u{FFFD}" } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// Inline SVG charts: no scripts, no external resources.
enum SVGChart {
    static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

    /// A colour for t in [0, 1]: dark blue (worst) to yellow (best), a viridis-like ramp.
    static func colour(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        let r = Int(a.0 + (b.0 - a.0) * f), g = Int(a.1 + (b.1 - a.1) * f), bl = Int(a.2 + (b.2 - a.2) * f)
        return "rgb(\(r),\(g),\(bl))"
    }

    /// The Voronoi cell of `centre` within the unit square: the square clipped by the bisector half-plane of
    /// every other centroid (Sutherland-Hodgman; 100 cells x 100 clips is nothing).
    static func voronoiCell(_ index: Int, _ centroids: [[Double]]) -> [(Double, Double)] {
        guard centroids[index].count >= 2 else { return [] }
        let c = (centroids[index][0], centroids[index][1])
        var polygon: [(Double, Double)] = [(0, 0), (1, 0), (1, 1), (0, 1)]
        for (j, other) in centroids.enumerated() where j != index && other.count >= 2 {
            let o = (other[0], other[1])
            // Keep points p with (p - m) . (o - c) <= 0, m the midpoint.
            let n = (o.0 - c.0, o.1 - c.1)
            let m = ((o.0 + c.0) / 2, (o.1 + c.1) / 2)
            func side(_ p: (Double, Double)) -> Double { (p.0 - m.0) * n.0 + (p.1 - m.1) * n.1 }
            var clipped: [(Double, Double)] = []
            for k in polygon.indices {
                let p = polygon[k], q = polygon[(k + 1) % polygon.count]
                let sp = side(p), sq = side(q)
                if sp <= 0 { clipped.append(p) }
                if (sp < 0 && sq > 0) || (sp > 0 && sq < 0) {
                    let t = sp / (sp - sq)
                    clipped.append((p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t))
                }
            }
            polygon = clipped
            if polygon.isEmpty { break }
        }
        return polygon
    }

    struct Cell {
        var fitness: Double?
        var label: String
    }

    /// The archive over its descriptor box: Voronoi cells coloured by fitness (grey when empty), each with a
    /// tooltip; fitness is scaled between the worst and best elite so differences stay visible.
    static func heatMap(centroids: [[Double]], cells: [Int: Cell], xLabel: String, yLabel: String,
                        xTicks: [(Double, String)], yTicks: [(Double, String)]) -> String {
        let size = 420.0, pad = 48.0, left = 84.0, legend = 70.0
        let values = cells.values.compactMap(\.fitness).filter(\.isFinite).sorted()
        // The colour range starts at the 10th percentile: one collapsed network at chance level would otherwise
        // paint every good network the same yellow.
        let lo = values.isEmpty ? 0 : values[values.count / 10], hi = values.last ?? 1
        func px(_ x: Double) -> Double { left + x * size }
        func py(_ y: Double) -> Double { pad + (1 - y) * size }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + size + pad + legend))\" height=\"\(Int(size + 2 * pad))\" role=\"img\">"
        for i in centroids.indices {
            let poly = voronoiCell(i, centroids)
            guard !poly.isEmpty else { continue }
            let points = poly.map { "\(fmt(px($0.0))),\(fmt(py($0.1)))" }.joined(separator: " ")
            let cell = cells[i]
            let fill = cell?.fitness.map { colour(hi > lo ? ($0 - lo) / (hi - lo) : 1) } ?? "#eeeeee"
            let title = HTML.escape(cell?.label ?? "niche \(i): empty")
            s += "<polygon points=\"\(points)\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"><title>\(title)</title></polygon>"
        }
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(pad))\" width=\"\(fmt(size))\" height=\"\(fmt(size))\" fill=\"none\" stroke=\"#333\"/>"
        // Colour legend: a column of swatches from the range's top to its bottom.
        let lx = left + size + 20
        for k in 0..<20 {
            let t = 1 - Double(k) / 19
            s += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(pad + Double(k) * 12))\" width=\"14\" height=\"12\" fill=\"\(colour(t))\"/>"
        }
        s += "<text x=\"\(fmt(lx))\" y=\"\(fmt(pad - 6))\" font-size=\"11\">\(String(format: "%.3g", hi))</text>"
        s += "<text x=\"\(fmt(lx))\" y=\"\(fmt(pad + 20 * 12 + 12))\" font-size=\"11\">\(String(format: "%.3g", lo))</text>"
        s += "<text x=\"\(fmt(lx))\" y=\"\(fmt(pad + 20 * 12 + 26))\" font-size=\"10\">or less</text>"
        for (x, label) in xTicks {
            s += "<text x=\"\(fmt(px(x)))\" y=\"\(fmt(pad + size + 16))\" font-size=\"11\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        for (y, label) in yTicks {
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(y) + 4))\" font-size=\"11\" text-anchor=\"end\">\(HTML.escape(label))</text>"
        }
        s += "<text x=\"\(fmt(left + size / 2))\" y=\"\(fmt(pad + size + 36))\" font-size=\"12\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        s += "<text transform=\"translate(14,\(fmt(pad + size / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        return s + "</svg>"
    }

    /// A step line over evaluations; `series` values may be missing (before the first success).
    static func lineChart(_ series: [(Double, Double?)], title: String, yRange: ClosedRange<Double>? = nil,
                          colour: String = "#1f77b4") -> String {
        let w = 460.0, h = 220.0, pad = 44.0
        let points = series.compactMap { p in p.1.map { (p.0, $0) } }.filter { $0.1.isFinite }
        let xMax = max(series.map(\.0).max() ?? 1, 1)
        let ys = points.map(\.1)
        let range = yRange ?? ((ys.min() ?? 0)...(max(ys.max() ?? 1, (ys.min() ?? 0) + 1e-6)))
        func px(_ x: Double) -> Double { pad + x / xMax * (w - 2 * pad) }
        func py(_ y: Double) -> Double {
            let span = range.upperBound - range.lowerBound
            return h - pad - (span > 0 ? (y - range.lowerBound) / span : 0.5) * (h - 2 * pad)
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\">"
        s += "<text x=\"\(fmt(w / 2))\" y=\"16\" font-size=\"13\" text-anchor=\"middle\">\(HTML.escape(title))</text>"
        s += "<line x1=\"\(fmt(pad))\" y1=\"\(fmt(h - pad))\" x2=\"\(fmt(w - pad))\" y2=\"\(fmt(h - pad))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(fmt(pad))\" y1=\"\(fmt(pad))\" x2=\"\(fmt(pad))\" y2=\"\(fmt(h - pad))\" stroke=\"#333\"/>"
        for k in 0...4 {
            let y = range.lowerBound + (range.upperBound - range.lowerBound) * Double(k) / 4
            s += "<text x=\"\(fmt(pad - 4))\" y=\"\(fmt(py(y) + 4))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.3g", y))</text>"
        }
        s += "<text x=\"\(fmt(w - pad))\" y=\"\(fmt(h - pad + 16))\" font-size=\"10\" text-anchor=\"end\">\(Int(xMax)) evaluations</text>"
        if !points.isEmpty {
            var path = "M\(fmt(px(points[0].0))),\(fmt(py(points[0].1)))"
            for i in 1..<points.count {
                path += " H\(fmt(px(points[i].0))) V\(fmt(py(points[i].1)))"
            }
            path += " H\(fmt(px(xMax)))"
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
        }
        return s + "</svg>"
    }
}
