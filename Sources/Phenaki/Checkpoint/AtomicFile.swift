import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file and directory writes: data reaches the disk (`fsync`) before a `rename`
/// publishes it, and the directory holding the new name is synced after, so after a crash a
/// reader finds the old version or the whole new one, never a part.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary sibling that is synced, then renamed over `path`.
    public static func write(_ data: Data, to path: String) throws(CheckpointError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try writeNew(data, to: temporary)
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try syncDirectory(parent(of: path))
    }

    /// Creates `path` (which must not exist), writes `data` and syncs the file.
    public static func writeNew(_ data: Data, to path: String) throws(CheckpointError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "create", path: path, reason: lastError()) }
        defer { close(fd) }
        let failure: String? = data.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return lastError() }
                done += n
            }
            return fsync(fd) == 0 ? nil : lastError()
        }
        if let failure { throw .io(operation: "write", path: path, reason: failure) }
    }

    /// Renames `source` to `destination` (a directory may replace an empty directory).
    public static func rename(_ source: String, to destination: String) throws(CheckpointError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw .io(operation: "rename \(source) to", path: destination, reason: lastError())
        }
    }

    /// Flushes a directory's entries (new, renamed and removed names) to disk.
    public static func syncDirectory(_ path: String) throws(CheckpointError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open directory", path: path, reason: lastError()) }
        defer { close(fd) }
        // Some file systems refuse fsync on directories (EINVAL); their renames are durable anyway.
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw .io(operation: "sync directory", path: path, reason: lastError())
        }
    }

    /// Creates the directory `path` (its parent must exist).
    public static func makeDirectory(_ path: String) throws(CheckpointError) {
        guard mkdir(path, 0o755) == 0 else { throw .io(operation: "create directory", path: path, reason: lastError()) }
    }

    /// The directory holding `path` ("." for a bare name).
    public static func parent(of path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        return directory.isEmpty ? "." : directory
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
