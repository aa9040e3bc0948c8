import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// `phenaki bench cvivit-train --data-parallel`: under `mpirun -np N` times the data-parallel
/// step at N ranks; with `--ranks 1,2` (not under mpirun) runs `mpirun -np` for each count and
/// prints the allreduce time and the scaling efficiency against the first count.
extension BenchCommand {
    func runDataParallel(config: PhenakiConfig) throws {
        guard benchCase == .cvivitTrain else {
            throw ValidationError("--data-parallel and --ranks apply to cvivit-train, not '\(benchCase.rawValue)'")
        }
        let threads = self.threads ?? 1
        if let ranks {
            guard ProcessGroup.launchedSize <= 1 else {
                throw ValidationError("--ranks starts mpirun itself: run it without mpirun")
            }
            return try compareRanks(ranks, threads: threads)
        }
        let group = try ProcessGroup.world()
        let result = try DataParallelBench.run(config: config, configName: self.config ?? variant ?? "tiny",
                                               batch: batch ?? 1, frames: frames, steps: steps, threads: threads,
                                               group: group)
        try group.finalize()
        guard group.isWriter else { return }
        print(result.text)
        if json { print(result.json) }
    }

    /// Runs the bench under `mpirun -np n` for each of `counts` and prints the efficiency
    /// samples/s(n) / (n / n₀ · samples/s(n₀)).
    func compareRanks(_ list: String, threads: Int) throws {
        let counts = list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--ranks takes rank counts separated by commas (e.g. 1,2), got '\(list)'")
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let mpirun = path.split(separator: ":").map({ "\($0)/mpirun" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("mpirun is not on PATH: install openmpi-bin and libopenmpi-dev")
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        var arguments = ["bench", "cvivit-train", "--data-parallel", "--steps", "\(steps)", "--threads", "\(threads)",
                         "--batch", "\(batch ?? 1)", "--json"]
        if let variant { arguments += ["--variant", variant] }
        if let config { arguments += ["--config", config] }
        if let frames { arguments += ["--frames", "\(frames)"] }
        var rows: [(ranks: Int, samples: Double, step: Double, inStep: Double, alone: Double)] = []
        for n in counts {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: mpirun)
            var launch = ["-np", "\(n)", "--oversubscribe"]
            if geteuid() == 0 { launch.append("--allow-run-as-root") }
            // One core per rank when each runs one thread; else let the rank's threads spread.
            launch += threads == 1 ? ["--bind-to", "core"] : ["--bind-to", "none"]
            process.arguments = launch + [executable] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0, let line = text.split(separator: "\n").last,
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ValidationError("mpirun -np \(n) failed (status \(process.terminationStatus)):\n\(text)")
            }
            print(text.split(separator: "\n").dropLast().joined(separator: "\n") + "\n")
            func number(_ key: String) -> Double {
                (object[key] as? Double) ?? (object[key] as? String).flatMap(Double.init) ?? .nan
            }
            rows.append((n, number("samples_per_s"), number("median_step_s"), number("allreduce_step_s"),
                         number("allreduce_alone_s")))
        }
        let base = rows[0]
        print("ranks  step median s  samples/s  allreduce in step s  allreduce alone s  efficiency")
        for row in rows {
            let efficiency = row.samples / (Double(row.ranks) / Double(base.ranks) * base.samples)
            print(String(format: "%5d  %13.4f  %9.3f  %19.5f  %17.5f  %9.1f%%", row.ranks, row.step, row.samples,
                         row.inStep, row.alone, 100 * efficiency))
        }
        print("threads per rank \(threads), batch per rank \(batch ?? 1) (weak scaling: the global batch grows with the ranks)")
    }
}
