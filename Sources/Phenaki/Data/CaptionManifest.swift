import Foundation

/// A JSON Lines manifest of captioned files: one object per line,
/// `{"path": "clips/cat.gif", "caption": "a cat jumping"}`, with `path` relative to the
/// manifest's folder (or absolute) and `caption` optional. Blank lines are skipped.
enum CaptionManifest {
    private struct Line: Decodable {
        var path: String
        var caption: String?
    }

    /// The entries of the manifest at `path`, in file order.
    static func read(path: String) throws(DatasetError) -> [FolderDataset.Entry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(path: path, reason: "the manifest does not exist or cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .badManifest(path: path, line: 1, reason: "the file is not UTF-8 text")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var entries: [FolderDataset.Entry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let decoded: Line
            do {
                decoded = try JSONDecoder().decode(Line.self, from: Data(trimmed.utf8))
            } catch {
                throw .badManifest(path: path, line: number + 1, reason: "not an object with a string \"path\" (\(error))")
            }
            guard !decoded.path.isEmpty else { throw .badManifest(path: path, line: number + 1, reason: "\"path\" is empty") }
            let file = decoded.path.hasPrefix("/") ? decoded.path : folder.appendingPathComponent(decoded.path).path
            entries.append(FolderDataset.Entry(path: file, caption: decoded.caption))
        }
        guard !entries.isEmpty else { throw .badManifest(path: path, line: 1, reason: "the manifest lists no file") }
        return entries
    }
}
