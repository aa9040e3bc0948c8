import Foundation

/// A loss-versus-step chart as a standalone SVG: one polyline per series, a shared linear y
/// axis from the smallest to the largest finite value, labelled ticks and a legend.
public enum LossCurveSVG {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The SVG text of `series` (name, points (step, value)); non-finite values are skipped.
    public static func render(_ series: [(name: String, points: [(Int, Double)])], width: Int = 720,
                              height: Int = 360) -> String {
        let (left, right, top, bottom) = (60.0, 150.0, 20.0, 40.0)
        let all = series.flatMap(\.points).filter { $0.1.isFinite }
        let steps = all.map(\.0), values = all.map(\.1)
        let (x0, x1) = (Double(steps.min() ?? 0), Double(max(steps.max() ?? 1, (steps.min() ?? 0) + 1)))
        var (y0, y1) = (values.min() ?? 0, values.max() ?? 1)
        if y1 - y0 < 1e-12 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        func x(_ s: Double) -> Double { left + (s - x0) / (x1 - x0) * plotW }
        func y(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <rect x="\(f(left))" y="\(f(top))" width="\(f(plotW))" height="\(f(plotH))" fill="none" stroke="#888"/>

            """
        for i in 0...4 {
            let v = y0 + (y1 - y0) * Double(i) / 4
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: "%.4g", v))</text>\n"
            let s = x0 + (x1 - x0) * Double(i) / 4
            svg += "<text x=\"\(f(x(s)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(Int(s.rounded()))</text>\n"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(Double(height) - 6))\" text-anchor=\"middle\">step</text>\n"
        for (index, entry) in series.enumerated() {
            let colour = palette[index % palette.count]
            let points = entry.points.filter { $0.1.isFinite }
                .map { "\(f(x(Double($0.0)))),\(f(y($0.1)))" }.joined(separator: " ")
            if !points.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            }
            let ly = top + 14 * Double(index + 1)
            svg += "<line x1=\"\(f(left + plotW + 10))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + plotW + 30))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(f(left + plotW + 34))\" y=\"\(f(ly))\">\(entry.name)</text>\n"
        }
        return svg + "</svg>\n"
    }
}
