import Foundation

/// Numbered checkpoints in one folder (e.g. `results/checkpoints`): `step-000100/`,
/// `step-000200/`, ... plus a `latest` file naming the newest, replaced atomically after each
/// save, and retention of the last K.
///
/// A save never touches the previous checkpoint until the new one is complete, so the
/// latest checkpoint is always whole, whenever the process dies. (Re-saving an existing step
/// moves the old directory aside for the moment of the swap; a crash then leaves the previous
/// step as the latest.) One process writes a store at a time.
public struct CheckpointStore {
    /// The folder holding the checkpoints.
    public let directory: String
    /// How many complete checkpoints a save keeps (the newest); nil keeps all.
    public var keepLast: Int?
    /// Writes each checkpoint (tests set its `afterEachFile` hook).
    public var writer: CheckpointWriter

    /// The name of the pointer file.
    public static let latestFile = "latest"

    public init(directory: String, keepLast: Int? = nil, writer: CheckpointWriter = CheckpointWriter()) {
        self.directory = directory
        self.keepLast = keepLast
        self.writer = writer
    }

    /// `step-000100`: the step zero-padded to six digits (more when larger), so names sort by step.
    public static func name(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The step a checkpoint directory name stands for, nil for other names.
    public static func step(ofName name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst("step-".count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Saves `checkpoint` as `step-<state.step>` (replacing one of the same step), points
    /// `latest` at it, then removes the checkpoints beyond `keepLast` and what crashed saves
    /// left behind. Returns the checkpoint's path.
    /// - Throws: `CheckpointError.saveFailed` when a file system call fails while writing (a full
    ///   disk): the previous checkpoint is then still the latest; what `CheckpointWriter.write`
    ///   throws otherwise; `CheckpointError.io` from the clean-up.
    @discardableResult
    public func save(_ checkpoint: Checkpoint) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = Self.name(step: checkpoint.state.step)
        let path = directory + "/" + name
        do {
            try writer.write(checkpoint, to: path, replace: true)
            try AtomicFile.write(Data((name + "\n").utf8), to: directory + "/" + Self.latestFile)
        } catch CheckpointError.io(let operation, let file, let reason) {
            throw CheckpointError.saveFailed(path: path, latest: latest(), reason: "cannot \(operation) \(file): \(reason)")
        }
        try removeLeftovers()
        if let keepLast { try retain(last: keepLast) }
        return path
    }

    /// Steps of the complete checkpoints (directories `step-N` holding `format.json`), ascending.
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            guard let step = Self.step(ofName: name),
                  FileManager.default.fileExists(atPath: directory + "/" + name + "/" + Checkpoint.formatFile)
            else { return nil }
            return step
        }.sorted()
    }

    /// The path of the newest complete checkpoint: the one `latest` names when it is complete,
    /// else the highest complete step (a crash between a save and its pointer update); nil
    /// when there is none.
    public func latest() -> String? {
        let pointer = directory + "/" + Self.latestFile
        if let data = FileManager.default.contents(atPath: pointer) {
            let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if Self.step(ofName: name) != nil,
               FileManager.default.fileExists(atPath: directory + "/" + name + "/" + Checkpoint.formatFile) {
                return directory + "/" + name
            }
        }
        return steps().last.map { directory + "/" + Self.name(step: $0) }
    }

    /// The newest complete checkpoint (`latest()`), checked as `Checkpoint.load` checks it; nil
    /// when the store has none (a fresh run).
    public func loadLatest(config: PhenakiConfig, components: [CheckpointComponent]? = nil) throws -> Checkpoint? {
        guard let path = latest() else { return nil }
        return try Checkpoint.load(directory: path, config: config, components: components)
    }

    /// Removes all but the newest `count` complete checkpoints, never the one `latest` names.
    public func retain(last count: Int) throws {
        let keep = latest()
        for step in steps().dropLast(max(count, 1)) {
            let path = directory + "/" + Self.name(step: step)
            if path == keep { continue }
            try remove(path)
        }
    }

    /// Removes the temporary and replaced directories of interrupted saves (`.step-*.tmp-*`,
    /// `.step-*.old-*`); safe because one process writes a store at a time.
    private func removeLeftovers() throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard name.hasPrefix(".step-"), name.contains(".tmp-") || name.contains(".old-") else { continue }
            try remove(directory + "/" + name)
        }
    }

    private func remove(_ path: String) throws(CheckpointError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw .io(operation: "remove", path: path, reason: error.localizedDescription)
        }
    }
}
