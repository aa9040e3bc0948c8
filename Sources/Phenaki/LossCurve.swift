import Foundation

/// Draws a loss curve as text: one column per group of steps, rows on a log scale, the top
/// and bottom rows labelled with their loss. Training commands print it when they finish.
public func renderLossCurve(_ losses: [Double], width: Int = 60, height: Int = 10) -> String {
    let positive = losses.filter { $0.isFinite && $0 > 0 }
    guard let top = positive.max(), let bottom = positive.min() else { return "(no finite losses)\n" }
    let columns = min(width, losses.count)
    let (logTop, logBottom) = (log10(top), log10(bottom))
    let span = max(logTop - logBottom, 1e-12)
    var grid = [[Character]](repeating: [Character](repeating: " ", count: columns), count: height)
    for c in 0..<columns {
        let lo = c * losses.count / columns
        let hi = max(lo + 1, (c + 1) * losses.count / columns)
        let chunk = losses[lo..<hi].filter { $0.isFinite && $0 > 0 }
        guard !chunk.isEmpty else { continue }
        let mean = chunk.reduce(0, +) / Double(chunk.count)
        let row = Int(((logTop - log10(mean)) / span * Double(height - 1)).rounded())
        grid[min(max(row, 0), height - 1)][c] = "*"
    }
    var out = ""
    for (r, line) in grid.enumerated() {
        let label = r == 0 ? String(format: "%.4g", top) : r == height - 1 ? String(format: "%.4g", bottom) : ""
        out += label.padding(toLength: 10, withPad: " ", startingAt: 0) + "|" + String(line) + "\n"
    }
    out += String(repeating: " ", count: 10) + "+" + String(repeating: "-", count: columns) + "\n"
    let last = "step \(losses.count)"
    out += String(repeating: " ", count: 11) + "step 1"
        + String(repeating: " ", count: max(1, columns - 6 - last.count)) + last + "\n"
    return out
}
