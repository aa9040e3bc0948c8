import Foundation
import GraphRuntime

/// A readable summary of a plan: sizes, the lower bound and their ratio, kernel and barrier
/// counts, then one line per step.
public func planSummary(_ plan: Plan) -> String {
    let ratio = plan.lowerBoundBytes > 0 ? Double(plan.activationBytes) / Double(plan.lowerBoundBytes) : 1
    var kinds: [PlanStepKind: Int] = [:]
    for step in plan.steps { kinds[step.kind, default: 0] += 1 }
    let kindList = kinds.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    var out = ""
    out += "activation arena   \(formatBytes(plan.activationBytes))\n"
    out += "lower bound        \(formatBytes(plan.lowerBoundBytes)) (max bytes live at once)\n"
    out += String(format: "arena / bound      %.3f\n", ratio)
    out += "persistent arena   \(formatBytes(plan.persistentBytes)) (parameters, inputs, state)\n"
    out += "constants          \(formatBytes(plan.constantBytes))\n"
    out += "kernels per step   \(plan.steps.count) (\(kindList))\n"
    out += "barriers per step  \(plan.barrierCount)\n"
    out += String(format: "GFLOP per step     %.3f\n", plan.flops / 1e9)
    return out
}

/// One line per step: index, kernel, barrier mark, output shapes, the nodes it computes.
public func planSteps(_ plan: Plan) -> String {
    var out = ""
    for (i, step) in plan.steps.enumerated() {
        let shapes = step.outputs.map { "b\($0.buffer)\($0.shape)" }.joined(separator: " ")
        let nodes = step.nodes.prefix(8).map { "%\($0)" }.joined(separator: ",") + (step.nodes.count > 8 ? ",…" : "")
        let program = step.kind == .rowProgram ? " [\(step.program.count) instr, \(step.registers) regs]" : ""
        out += String(format: "%4d ", i) + "\(step.kind)\(program) -> \(shapes) @\(step.label) {\(nodes)}"
            + (step.barrierAfter ? " |" : "") + "\n"
    }
    return out
}

/// An ASCII map of the activation arena over time: one row per group of steps, one column per
/// slice of the arena; a letter marks the buffer that occupies it, `.` free space.
public func memoryMap(_ plan: Plan, width: Int = 64, height: Int = 32) -> String {
    let arena = max(plan.activationBytes, 1)
    let steps = max(plan.steps.count, 1)
    let rows = min(height, steps)
    let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    let live = plan.buffers.indices.filter { plan.buffers[$0].arena == .activations && plan.buffers[$0].firstStep >= 0 }
    var out = "step  |" + String(repeating: "-", count: width) + "| 0 .. \(formatBytes(arena))\n"
    for r in 0..<rows {
        let lo = r * steps / rows, hi = max(lo + 1, (r + 1) * steps / rows) - 1
        var line = [Character](repeating: ".", count: width)
        for b in live {
            let buf = plan.buffers[b]
            guard buf.firstStep <= hi && buf.lastStep >= lo else { continue }
            let c0 = buf.offset * width / arena
            let c1 = max(c0 + 1, (buf.offset + buf.byteCount) * width / arena)
            for c in c0..<min(c1, width) { line[c] = symbols[b % symbols.count] }
        }
        out += String(format: "%5d |", lo) + String(line) + "|\n"
    }
    return out
}

/// `1.23 MB`-style sizes.
public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KB", "MB", "GB"]
    var value = Double(n)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format: "%.2f ", value) + units[unit] + " (\(n) bytes)"
}
