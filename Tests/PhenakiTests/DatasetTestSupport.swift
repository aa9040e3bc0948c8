import Foundation
import MediaIO
@testable import Phenaki

/// A fresh temporary folder for one dataset test, removed with the value.
final class DatasetScratch {
    let path = NSTemporaryDirectory() + "phenaki-dataset-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Creates `relative`'s folders and returns its full path.
    func file(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        return full
    }

    /// Writes `text` to `relative`.
    func write(_ text: String, to relative: String) throws {
        try text.write(toFile: try file(relative), atomically: true, encoding: .utf8)
    }
}

/// Examples i = 0..<count as one-frame 1 × 2 grey pictures [i / 1000, 0.5] captioned "i";
/// example `failing` throws.
struct NumberedSource: ExampleSource {
    struct Failure: Error, Equatable { var index: Int }

    var count: Int
    var failing: Int? = nil

    func example(at index: Int) throws -> TrainingExample {
        if index == failing { throw Failure(index: index) }
        let video = try VideoFrames(channels: 1, frames: 1, height: 1, width: 2, pixels: [Float(index) / 1000, 0.5])
        return TrainingExample(video: video, caption: "\(index)")
    }
}

enum DatasetTestSupport {
    /// The bytes of a gzip file, inflated by the system's `gzip` (an independent decoder).
    static func gunzip(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    /// The example indices a batch of `NumberedSource` holds (read back from the captions).
    static func indices(_ batch: TrainingBatch) -> [Int] {
        batch.captions.map { Int($0!)! }
    }

    /// A grey or RGB video whose value at (c, f, y, x) is `value(c, f, y, x)`.
    static func video(channels: Int, frames: Int, height: Int, width: Int,
                      _ value: (Int, Int, Int, Int) -> Float) throws -> VideoFrames {
        var pixels: [Float] = []
        for c in 0..<channels {
            for f in 0..<frames {
                for y in 0..<height {
                    for x in 0..<width { pixels.append(value(c, f, y, x)) }
                }
            }
        }
        return try VideoFrames(channels: channels, frames: frames, height: height, width: width, pixels: pixels)
    }
}
