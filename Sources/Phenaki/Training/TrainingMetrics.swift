import Foundation

/// One row of `metrics.csv`: an update's losses (named columns), learning rate, gradient norm
/// and wall time.
public struct TrainingRecord: Equatable, Sendable {
    public var step: Int
    /// Loss columns in the order of `TrainingMetricsLog.lossColumns`; NaN where not computed
    /// this step (e.g. the validation loss), written as an empty cell.
    public var losses: [Double]
    public var learningRate: Double
    public var gradNorm: Double
    public var seconds: Double

    public init(step: Int, losses: [Double], learningRate: Double, gradNorm: Double, seconds: Double) {
        self.step = step
        self.losses = losses
        self.learningRate = learningRate
        self.gradNorm = gradNorm
        self.seconds = seconds
    }
}

/// `metrics.csv` in a results folder: a header `step,<losses...>,lr,grad_norm,seconds` and a
/// row per update, flushed as it is written so an interrupted run keeps its rows. A resumed run
/// keeps the rows up to its checkpoint's step and drops the later ones (the interrupted run's
/// steps that the resumed run repeats).
public final class TrainingMetricsLog {
    public let path: String
    public let lossColumns: [String]
    /// Every row of this run and the kept rows of the run it resumed.
    public private(set) var records: [TrainingRecord] = []
    /// nil: rows are kept in `records` only (a data-parallel rank other than 0).
    private let handle: FileHandle?

    /// Opens (creates) `path`; `resumingAt` keeps earlier rows with step ≤ that step when the
    /// existing header matches. With `writes` false the file is only read, never written.
    /// - Throws: `TrainerError.resultsNotWritable`.
    public init(path: String, lossColumns: [String], resumingAt: Int? = nil, writes: Bool = true) throws {
        self.path = path
        self.lossColumns = lossColumns
        let header = (["step"] + lossColumns + ["lr", "grad_norm", "seconds"]).joined(separator: ",")
        var text = header + "\n"
        if let resumingAt, let old = try? String(contentsOfFile: path, encoding: .utf8) {
            let lines = old.split(separator: "\n").map(String.init)
            if lines.first == header {
                for line in lines.dropFirst() {
                    guard let record = Self.parse(line, columns: lossColumns.count), record.step <= resumingAt else { continue }
                    records.append(record)
                    text += line + "\n"
                }
            }
        }
        guard writes else {
            handle = nil
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainerError.resultsNotWritable(path: path, reason: "cannot create the file")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle?.close() }

    /// Appends `record` to the file and to `records`.
    public func append(_ record: TrainingRecord) throws {
        records.append(record)
        let cells = [String(record.step)] + record.losses.map(Self.cell)
            + [Self.cell(record.learningRate), Self.cell(record.gradNorm), String(format: "%.4f", record.seconds)]
        do {
            try handle?.write(contentsOf: Data((cells.joined(separator: ",") + "\n").utf8))
        } catch {
            throw TrainerError.resultsNotWritable(path: path, reason: "\(error)")
        }
    }

    static func cell(_ value: Double) -> String { value.isNaN ? "" : String(format: "%.7g", value) }

    static func parse(_ line: String, columns: Int) -> TrainingRecord? {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard cells.count == columns + 4, let step = Int(cells[0]) else { return nil }
        let numbers = cells.dropFirst().map { Double($0) ?? .nan }
        return TrainingRecord(step: step, losses: Array(numbers.prefix(columns)), learningRate: numbers[columns],
                              gradNorm: numbers[columns + 1], seconds: numbers[columns + 2])
    }
}

/// The progress line of a run: step, losses, steps per second and the time left, on standard
/// error; on a terminal the line rewrites itself (`\r`), elsewhere each update gets its own line.
public struct TrainingProgress {
    public let totalSteps: Int
    public let firstStep: Int
    private let started: Double
    private let terminal: Bool

    public init(totalSteps: Int, firstStep: Int) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        started = monotonicSeconds()
        terminal = isatty(2) != 0
    }

    /// The line after update `step` (1-based) with `losses` (name, value).
    public func line(step: Int, losses: [(String, Double)], now: Double = monotonicSeconds()) -> String {
        let elapsed = max(now - started, 1e-9)
        let rate = Double(step - firstStep) / elapsed
        let left = rate > 0 ? Double(totalSteps - step) / rate : .nan
        let parts = losses.filter { !$0.1.isNaN }.map { "\($0.0) \(String(format: "%.4f", $0.1))" }
        return "step \(step)/\(totalSteps)  " + parts.joined(separator: "  ")
            + String(format: "  %.2f steps/s  ETA ", rate) + Self.duration(left)
    }

    /// Writes `line(step:losses:)` to standard error.
    public func report(step: Int, losses: [(String, Double)]) {
        let text = line(step: step, losses: losses)
        let end = terminal ? (step == totalSteps ? "\n" : "") : "\n"
        FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + text + end).utf8))
    }

    /// `h:mm:ss`, or `?` when unknown.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Seconds of a monotonic clock.
public func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
