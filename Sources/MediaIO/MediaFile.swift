import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and crash-safe writes shared by the image and video formats.
enum MediaFile {
    /// The bytes of the regular file at `path`.
    static func read(path: String) throws(MediaError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path: path, reason: errnoText()) }
        defer { try? handle.close() }
        do {
            return Array(try handle.readToEnd() ?? Data())
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    /// A path for a temporary file beside `path` (same folder, so a rename can replace it).
    static func temporaryPath(beside path: String, suffix: String = "") -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(suffix)"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Writes `bytes` so that readers see the old file or the whole new one, never a part:
    /// a temporary file beside `path` is written and flushed, then renamed over it.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(MediaError) {
        let temporary = temporaryPath(beside: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .unwritable(path: path, reason: errnoText()) }
        let failure: String? = bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return errnoText() }
                done += n
            }
            return fsync(fd) == 0 ? nil : errnoText()
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw .unwritable(path: path, reason: failure)
        }
        try commit(temporary: temporary, to: path)
    }

    /// Renames a finished temporary file over `path`, removing it if the rename fails.
    static func commit(temporary: String, to path: String) throws(MediaError) {
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw .unwritable(path: path, reason: reason)
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
