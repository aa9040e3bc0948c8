import Foundation
import GraphRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Writes a `Checkpoint` as a directory, atomically: every file goes into a temporary sibling
/// directory and is synced, the directory is synced, and only then is it renamed into place,
/// so a crash at any moment leaves either no checkpoint at the target or a complete one.
/// `format.json` is written last, so even a copy of a half-written directory is not taken for
/// a checkpoint.
public struct CheckpointWriter {
    /// Called with each file's path (relative to the checkpoint) after it is written and synced;
    /// an error it throws aborts the write as a crash would (tests use it to fail mid-write).
    public var afterEachFile: ((String) throws -> Void)?

    public init(afterEachFile: ((String) throws -> Void)? = nil) {
        self.afterEachFile = afterEachFile
    }

    /// Writes `checkpoint` to `directory`, which must not exist or be empty unless `replace`
    /// is set. A replaced checkpoint is kept until the new one is in place.
    ///
    /// - Throws: `CheckpointError.directoryNotEmpty`, `.io`, `.unwritableState`,
    ///   `WeightError.file` (a tensor its dtype cannot store), and what `afterEachFile` throws. On
    ///   any error the temporary directory is removed and `directory` is left as it was.
    public func write(_ checkpoint: Checkpoint, to directory: String, replace: Bool = false) throws {
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        let existing = try Self.contents(of: target)
        if let existing, !existing.isEmpty, !replace { throw CheckpointError.directoryNotEmpty(path: target) }
        let parent = AtomicFile.parent(of: target)
        let name = URL(fileURLWithPath: target).lastPathComponent
        let temporary = parent + "/" + Self.temporaryPrefix(name) + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try AtomicFile.makeDirectory(temporary)
        do {
            try fill(temporary, with: checkpoint)
            if let existing, !existing.isEmpty {
                // Move the old checkpoint aside, not away: it is removed only once the new one is in place.
                let old = parent + "/" + Self.oldPrefix(name) + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                try AtomicFile.rename(target, to: old)
                do {
                    try AtomicFile.rename(temporary, to: target)
                } catch {
                    try? AtomicFile.rename(old, to: target)
                    throw error
                }
                // The new name must be durable before the only other copy goes.
                try AtomicFile.syncDirectory(parent)
                try? FileManager.default.removeItem(atPath: old)
            } else {
                // rename(2) replaces an empty directory.
                try AtomicFile.rename(temporary, to: target)
                try AtomicFile.syncDirectory(parent)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// The name prefix of the temporary directory a write of `name` fills.
    static func temporaryPrefix(_ name: String) -> String { "." + name + ".tmp-" }

    /// The name prefix under which a replaced checkpoint `name` waits for its removal.
    static func oldPrefix(_ name: String) -> String { "." + name + ".old-" }

    /// The entries of the directory `path`, nil when nothing is there; a file is an error.
    private static func contents(of path: String) throws(CheckpointError) -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { throw .directoryNotEmpty(path: path) }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw .io(operation: "list", path: path, reason: error.localizedDescription)
        }
    }

    /// Writes every file of `checkpoint` into the new directory `root` and syncs it.
    private func fill(_ root: String, with checkpoint: Checkpoint) throws {
        func put(_ data: Data, _ relative: String) throws {
            try AtomicFile.writeNew(data, to: root + "/" + relative)
            try afterEachFile?(relative)
        }
        try put(Data(checkpoint.config.jsonString().utf8), Checkpoint.configFile)
        try put(try checkpoint.state.jsonData(), Checkpoint.stateFile)
        let groups = [("", checkpoint.weights), (Checkpoint.emaDirectory, checkpoint.ema),
                      (Checkpoint.optimizerDirectory, checkpoint.optimizer)]
        for (folder, tensors) in groups where !tensors.isEmpty {
            if !folder.isEmpty { try AtomicFile.makeDirectory(root + "/" + folder) }
            for component in CheckpointComponent.allCases {
                guard let values = tensors[component] else { continue }
                let file = SafeTensorsFile(tensors: values, metadata: ["format": "pt"])
                let data: Data
                do { data = try file.encoded() } catch { throw WeightError.file(error) }
                try put(data, folder.isEmpty ? component.fileName : folder + "/" + component.fileName)
            }
            if !folder.isEmpty { try AtomicFile.syncDirectory(root + "/" + folder) }
        }
        let format = "{\"format\": \"\(Checkpoint.formatName)\", \"version\": \(Checkpoint.formatVersion)}\n"
        try put(Data(format.utf8), Checkpoint.formatFile)
        try AtomicFile.syncDirectory(root)
    }
}
