import Foundation
import MediaIO
import Testing
@testable import Phenaki

/// Image and video folders and JSONL manifests, from files written here with MediaIO's
/// encoders (and the committed tiny JPEG fixture): listing, captions, decoding, frame counts,
/// resizing, and the typed errors.
@Suite("Data: folders and manifests")
struct DatasetFolderTests {
    /// A 4 × 6 RGB picture whose values are multiples of 1/255 (PNG keeps them exactly).
    func picture(_ seed: Int, height: Int = 4, width: Int = 6) throws -> VideoFrames {
        try DatasetTestSupport.video(channels: 3, frames: 1, height: height, width: width) { c, _, y, x in
            Float((seed * 37 + c * 80 + y * 20 + x * 7) % 256) / 255
        }
    }

    /// A few-colour clip (GIF keeps it exactly).
    func clip(frames: Int, shade: Int) throws -> VideoFrames {
        try DatasetTestSupport.video(channels: 3, frames: frames, height: 4, width: 4) { c, f, y, x in
            Float((shade + 40 * f + 60 * c + 10 * ((x + y) % 2)) % 256) / 255
        }
    }

    static let jpegFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/media/gradient_rgb.jpg").standardizedFileURL.path

    /// Images in nested folders come back in sorted path order, at their own size when it is
    /// the target size, with `.txt` captions where present; a JPEG and a larger PNG are resized.
    @Test func readsImageFoldersWithCaptions() throws {
        let scratch = try DatasetScratch()
        let a = try picture(1), b = try picture(2)
        try PNGEncoder.write(a, to: scratch.file("images/b/second.png"))
        try PNGEncoder.write(b, to: scratch.file("images/a.png"))
        try scratch.write("  a red dress \n", to: "images/a.txt")
        try PNGEncoder.write(try picture(3, height: 8, width: 12), to: scratch.file("images/c/big.PNG"))
        try FileManager.default.copyItem(atPath: Self.jpegFixture, toPath: scratch.file("images/d.jpg"))
        try scratch.write("not a picture", to: "images/notes.md")
        let source = try openDataset(.folder(scratch.path + "/images"), options: DatasetOptions(imageSize: SpatialSize(height: 4, width: 6)), split: .train)
        #expect(source.count == 4)
        let examples = try (0..<4).map { try source.example(at: $0) }
        #expect(examples.map(\.caption) == ["a red dress", nil, nil, nil])
        #expect(examples[0].video == b)
        #expect(examples[1].video == a)
        // 8 x 12 -> 4 x 6 halves each axis: each output is a 4 x 4 triangle-weighted average.
        let big = try picture(3, height: 8, width: 12)
        let w: [Float] = [0.125, 0.375, 0.375, 0.125]   // 0.25, 0.75, 0.75, 0.25 over their sum 2
        var expected: Float = 0
        for (i, wy) in w.enumerated() { for (j, wx) in w.enumerated() { expected += wy * wx * big.pixels[(1 + i) * 12 + 3 + j] } }
        #expect(abs(examples[2].video.pixels[1 * 6 + 2] - expected) < 1e-5)   // output (1, 2), inputs rows 1...4, columns 3...6
        let jpeg = try JPEGDecoder.read(path: Self.jpegFixture)
        #expect(examples[3].video.channels == 3 && examples[3].video.height == 4 && examples[3].video.width == 6)
        #expect(jpeg.channels == 3)
    }

    /// GIF folders with a frame count: longer clips keep their first frames, shorter ones are
    /// padded with black frames; grey output converts with the ITU-R 601 weights.
    @Test func readsVideoFoldersAndForcesFrameCounts() throws {
        let scratch = try DatasetScratch()
        let long = try clip(frames: 7, shade: 10), short = try clip(frames: 2, shade: 50)
        try GIFEncoder.write(long, to: scratch.file("clips/long.gif"))
        try GIFEncoder.write(short, to: scratch.file("clips/short.gif"))
        try scratch.write("a short clip", to: "clips/short.txt")
        try PNGEncoder.write(try picture(1), to: scratch.file("clips/still.png"))
        let options = DatasetOptions(imageSize: 4, channels: 3, frames: 5, temporalPatchSize: 2)
        let source = try openDataset(.folder(scratch.path + "/clips"), options: options, split: .train)
        #expect(source.count == 2)
        let first = try source.example(at: 0), second = try source.example(at: 1)
        #expect(first.caption == nil && second.caption == "a short clip")
        #expect(first.video == FrameResampler.castFrames(long, to: 5))
        #expect(second.video.frames == 5)
        for c in 0..<3 {
            let frames = Array(second.video.pixels[c * 80..<(c + 1) * 80])
            #expect(Array(frames[0..<32]) == Array(short.pixels[c * 32..<(c + 1) * 32]))
            #expect(frames[32...].allSatisfy { $0 == 0 })
        }
        var grey = options
        grey.channels = 1
        let luma = try openDataset(.folder(scratch.path + "/clips"), options: grey, split: .train).example(at: 0).video
        let p = 5   // pixel (1, 1) of frame 0
        let expected = 0.299 * long.pixels[p] + 0.587 * long.pixels[7 * 16 + p] + 0.114 * long.pixels[14 * 16 + p]
        #expect(abs(luma.pixels[p] - expected) < 1e-6)
    }

    /// MP4 files go through ffmpeg: a 3-frame 8 x 8 clip is resized to 4 x 4 and padded to 5
    /// frames; H.264 is lossy, so the flat grey it holds comes back within a few levels.
    @Test func readsMP4ThroughFFmpeg() throws {
        let scratch = try DatasetScratch()
        let flat = try DatasetTestSupport.video(channels: 3, frames: 3, height: 8, width: 8) { _, _, _, _ in 0.5 }
        try FFmpegTool.locate().writeMP4(flat, to: scratch.file("mp4/flat.mp4"))
        let options = DatasetOptions(imageSize: 4, channels: 3, frames: 5, temporalPatchSize: 2)
        let video = try openDataset(.folder(scratch.path + "/mp4"), options: options, split: .train).example(at: 0).video
        #expect(video.channels == 3 && video.frames == 5 && video.height == 4 && video.width == 4)
        for c in 0..<3 {
            let frames = Array(video.pixels[c * 80..<(c + 1) * 80])
            #expect(frames[0..<48].allSatisfy { abs($0 - 0.5) < 4 / 255 })
            #expect(frames[48...].allSatisfy { $0 == 0 })
        }
    }

    /// A JSONL manifest: paths relative to it, captions, blank lines skipped; bad lines are
    /// typed errors naming the line.
    @Test func readsManifests() throws {
        let scratch = try DatasetScratch()
        try PNGEncoder.write(try picture(1), to: scratch.file("data/x.png"))
        try PNGEncoder.write(try picture(2), to: scratch.file("data/sub/y.png"))
        try scratch.write("""
            {"path": "sub/y.png", "caption": "a blue coat"}

            {"path": "x.png"}
            """, to: "data/train.jsonl")
        let spec = DatasetSpec(parsing: scratch.path + "/data/train.jsonl")
        #expect(spec == .manifest(scratch.path + "/data/train.jsonl"))
        let source = try openDataset(spec, options: DatasetOptions(imageSize: SpatialSize(height: 4, width: 6)), split: .train)
        #expect(source.count == 2)
        #expect(try source.example(at: 0).caption == "a blue coat")
        #expect(try source.example(at: 0).video == picture(2))
        #expect(try source.example(at: 1).caption == nil)
        try scratch.write("{\"path\": \"x.png\"}\n{\"caption\": \"no path\"}\n", to: "data/bad.jsonl")
        let badPath = scratch.path + "/data/bad.jsonl"
        #expect {
            try openDataset(.manifest(badPath), options: DatasetOptions(imageSize: 4), split: .train)
        } throws: { error in
            guard case DatasetError.badManifest(let path, let line, _) = error else { return false }
            return path == badPath && line == 2
        }
        try scratch.write("{\"path\": \"x.png\"}\n", to: "data/images.jsonl")
        #expect(throws: DatasetError.self) {
            try openDataset(.manifest(scratch.path + "/data/images.jsonl"),
                            options: DatasetOptions(imageSize: 4, frames: 3, temporalPatchSize: 2), split: .train)
        }
    }

    /// An empty or missing folder names its path; a damaged file fails from the loader's
    /// `next()` with an error naming the file.
    @Test func reportsEmptyFoldersAndDamagedFiles() throws {
        let scratch = try DatasetScratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/empty/sub", withIntermediateDirectories: true)
        try scratch.write("text", to: "empty/sub/readme.txt")
        #expect(throws: DatasetError.emptyFolder(path: scratch.path + "/empty", extensions: ["png", "jpg", "jpeg"])) {
            try openDataset(.folder(scratch.path + "/empty"), options: DatasetOptions(imageSize: 4), split: .train)
        }
        #expect(DatasetError.emptyFolder(path: "/data/x", extensions: ["png"]).description.contains("/data/x"))
        #expect(throws: DatasetError.missingFolder(path: scratch.path + "/nowhere")) {
            try openDataset(.folder(scratch.path + "/nowhere"), options: DatasetOptions(imageSize: 4), split: .train)
        }
        try scratch.write("not a png", to: "broken/bad.png")
        let source = try openDataset(.folder(scratch.path + "/broken"), options: DatasetOptions(imageSize: 4), split: .train)
        let loader = try BatchLoader(source: source, batchSize: 1, seed: 0, threads: 1)
        #expect {
            try loader.next()
        } throws: { error in
            guard case DatasetError.unreadableFile(let path, _) = error else { return false }
            return path == scratch.path + "/broken/bad.png" && "\(error)".contains("bad.png")
        }
    }

    /// Flips are drawn per (seed, example, epoch): over many epochs an example is seen both
    /// ways, and each view is the exact mirror of the other.
    @Test func flipsPerEpoch() throws {
        let scratch = try DatasetScratch()
        let a = try picture(5)
        try PNGEncoder.write(a, to: scratch.file("f/a.png"))
        var options = DatasetOptions(imageSize: SpatialSize(height: 4, width: 6))
        options.horizontalFlip = true
        let source = try openDataset(.folder(scratch.path + "/f"), options: options, split: .train) as! any EpochExampleSource
        let mirrored = try DatasetTestSupport.video(channels: 3, frames: 1, height: 4, width: 6) { c, _, y, x in
            a.pixels[(c * 4 + y) * 6 + 5 - x]
        }
        let views = try (0..<16).map { try source.example(at: 0, epoch: $0).video }
        #expect(views.allSatisfy { $0 == a || $0 == mirrored })
        #expect(views.contains(a) && views.contains(mirrored))
    }

    @Test func parsesSpecs() {
        #expect(DatasetSpec(parsing: "fashion-mnist") == .fashionMNIST)
        #expect(DatasetSpec(parsing: "fashion-mnist-video") == .fashionMNISTVideo)
        #expect(DatasetSpec(parsing: "runs/captions.JSONL") == .manifest("runs/captions.JSONL"))
        #expect(DatasetSpec(parsing: "data/videos") == .folder("data/videos"))
    }
}
