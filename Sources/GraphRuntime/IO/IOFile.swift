import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and crash-safe writes for the tensor file formats.
///
/// Failures come back as a plain reason (the `strerror` text); each format wraps it in its
/// own typed error so the message can name the format and the path.
enum IOFile {
    /// The bytes of the regular file at `path`.
    static func read(path: String) -> Result<Data, IOFileFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(IOFileFailure(reason: currentErrno())) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(IOFileFailure(reason: currentErrno())) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(IOFileFailure(reason: "not a regular file"))
        }
        var data = Data(count: Int(info.st_size))
        let filled: Int = data.withUnsafeMutableBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = readBytes(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? -1 : done }
                done += n
            }
            return done
        }
        guard filled >= 0 else { return .failure(IOFileFailure(reason: currentErrno())) }
        // A file that shrank while being read is read as what was there.
        if filled < data.count { data.removeSubrange(filled..<data.count) }
        return .success(data)
    }

    /// Writes `data` to `path` so that readers see the old file or the whole new one, never a
    /// part: a temporary file beside it is written, flushed with `fsync`, then renamed over it.
    static func writeAtomically(_ data: Data, to path: String) -> Result<Void, IOFileFailure> {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            return .failure(IOFileFailure(reason: "cannot create \(temporary): \(currentErrno())"))
        }
        let failure: String? = data.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return currentErrno() }
                done += n
            }
            return fsync(fd) == 0 ? nil : currentErrno()
        }
        close(fd)
        if let failure {
            unlink(temporary)
            return .failure(IOFileFailure(reason: failure))
        }
        guard rename(temporary, path) == 0 else {
            let reason = currentErrno()
            unlink(temporary)
            return .failure(IOFileFailure(reason: reason))
        }
        syncDirectory(of: path)
        return .success(())
    }

    /// Flushes the directory entry of a renamed file; best effort, as some file systems refuse.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func currentErrno() -> String { String(cString: strerror(errno)) }
}

/// `read(2)`, named apart from `IOFile.read(path:)`.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// Why a file could not be read or written, in the operating system's words.
struct IOFileFailure: Error, Equatable {
    var reason: String
}
