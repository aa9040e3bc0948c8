import Foundation

/// One benchmark result; `json` is the contract other tooling parses (`phenaki bench --json`).
public struct BenchResult: Sendable {
    public var name: String
    public var stepSeconds: [Double]
    public var gflopPerStep: Double
    public var sgemmPeakGflops: Double
    public var arenaBytes = 0
    public var lowerBoundBytes = 0
    public var persistentBytes = 0
    public var peakRSSBytes = 0
    public var compileSeconds = 0.0
    public var kernelsPerStep = 0
    /// A per-kernel profile (`--profile`), printed before the summary.
    public var profile = ""
    /// Extra facts printed and added to the JSON (thread count, BLAS core, ...).
    public var extra: [String: String] = [:]

    public init(name: String, stepSeconds: [Double], gflopPerStep: Double, sgemmPeakGflops: Double) {
        self.name = name
        self.stepSeconds = stepSeconds
        self.gflopPerStep = gflopPerStep
        self.sgemmPeakGflops = sgemmPeakGflops
    }

    public var median: Double {
        let s = stepSeconds.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
    public var gflops: Double { median > 0 ? gflopPerStep / median : 0 }

    /// Human-readable lines.
    public var text: String {
        var lines = profile.isEmpty ? [] : [profile]
        lines += [
            "case              \(name)",
            String(format: "step median       %.4f s (min %.4f, max %.4f, %d runs)", median,
                   stepSeconds.min() ?? 0, stepSeconds.max() ?? 0, stepSeconds.count),
        ]
        // Cases that do no floating-point work (memory) have no GFLOP figures to show.
        if gflopPerStep > 0 {
            lines.append(String(format: "work              %.3f GFLOP per step, %.1f GFLOP/s", gflopPerStep, gflops))
            lines.append(String(format: "sgemm peak        %.1f GFLOP/s (measured now); step at %.0f%% of it",
                                sgemmPeakGflops, sgemmPeakGflops > 0 ? 100 * gflops / sgemmPeakGflops : 0))
        }
        if arenaBytes > 0 {
            lines.append(String(format: "arena             %d bytes (lower bound %d, ratio %.3f)", arenaBytes,
                                lowerBoundBytes, Double(arenaBytes) / Double(max(lowerBoundBytes, 1))))
            lines.append("persistent        \(persistentBytes) bytes")
            lines.append(String(format: "compile           %.3f s, %d kernels per step", compileSeconds, kernelsPerStep))
        }
        lines.append("peak RSS          \(peakRSSBytes) bytes")
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { lines.append(k.padding(toLength: 18, withPad: " ", startingAt: 0) + v) }
        return lines.joined(separator: "\n")
    }

    /// One JSON object on one line with the contract's keys.
    public var json: String {
        var object: [String: Any] = [
            "case": name,
            "median_step_s": median,
            "min_step_s": stepSeconds.min() ?? 0,
            "max_step_s": stepSeconds.max() ?? 0,
            "gflop_per_step": gflopPerStep,
            "gflops": gflops,
            "sgemm_peak_gflops": sgemmPeakGflops,
            "arena_bytes": arenaBytes,
            "lower_bound_bytes": lowerBoundBytes,
            "persistent_bytes": persistentBytes,
            "peak_rss_bytes": peakRSSBytes,
            "compile_s": compileSeconds,
            "kernels_per_step": kernelsPerStep,
        ]
        for (k, v) in extra { object[k] = v }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
