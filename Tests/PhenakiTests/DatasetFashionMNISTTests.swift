import Foundation
import MediaIO
import Testing
@testable import Phenaki

/// Fashion-MNIST from Debian's `dataset-fashion-mnist` (see .ci/install-packages): counts,
/// labels and pixels against the files as `gzip -dc` inflates them, captions, and the motion
/// of the synthesised clips.
@Suite("Data: Fashion-MNIST")
struct DatasetFashionMNISTTests {
    let directory = DatasetOptions.defaultFashionMNISTDirectory

    /// 60000 training and 10000 held-out items; the first labels and the first picture are the
    /// raw file bytes after the 8- and 16-byte IDX headers; captions name the label's class.
    @Test(arguments: [(DatasetSplit.train, "train", 60000), (.heldOut, "t10k", 10000)])
    func countsLabelsAndPixelsMatchTheFiles(split: DatasetSplit, stem: String, expected: Int) throws {
        let labels = try DatasetTestSupport.gunzip("\(directory)/\(stem)-labels-idx1-ubyte.gz")
        let images = try DatasetTestSupport.gunzip("\(directory)/\(stem)-images-idx3-ubyte.gz")
        #expect(labels.count == 8 + expected && images.count == 16 + expected * 784)
        let source = try openDataset(.fashionMNIST, options: DatasetOptions(imageSize: 28, channels: 1), split: split)
        #expect(source.count == expected)
        let names = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
        for index in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, expected - 1] {
            let example = try source.example(at: index)
            let name = names[Int(labels[8 + index])]
            #expect(example.caption == ("aeiou".contains(name.first!) ? "an " : "a ") + name)
            let raw = images[16 + index * 784..<16 + (index + 1) * 784].map { Float($0) / 255 }
            #expect(example.video.pixels == raw)
        }
    }

    /// Three channels repeat the grey one; 28 → 56 is a 2x bilinear enlargement, so every
    /// output is a 0.75 / 0.25 blend of neighbours (checked at the centre of the picture).
    @Test func resizesAndRepeatsGrey() throws {
        let grey = try openDataset(.fashionMNIST, options: DatasetOptions(imageSize: 28, channels: 1), split: .heldOut)
        let rgb = try openDataset(.fashionMNIST, options: DatasetOptions(imageSize: 56, channels: 3), split: .heldOut)
        let small = try grey.example(at: 3).video.pixels
        let large = try rgb.example(at: 3).video
        #expect(large.channels == 3 && large.height == 56 && large.width == 56)
        let plane = 56 * 56
        #expect(Array(large.pixels[0..<plane]) == Array(large.pixels[plane..<2 * plane]))
        // Output (2i + 1) sits at input i + 0.25: 0.75 of input i, 0.25 of input i + 1.
        for (i, j) in [(13, 13), (10, 17), (5, 20)] {
            let a = 0.75 * small[i * 28 + j] + 0.25 * small[i * 28 + j + 1]
            let b = 0.75 * small[(i + 1) * 28 + j] + 0.25 * small[(i + 1) * 28 + j + 1]
            #expect(abs(large.pixels[(2 * i + 1) * 56 + 2 * j + 1] - (0.75 * a + 0.25 * b)) < 1e-5)
        }
    }

    /// On every sampled clip the item's centroid moves the captioned way on every frame step
    /// by about the canvas travel / (frames - 1), and keeps its other coordinate; all four
    /// directions occur; the same seed gives the same clip.
    @Test func clipsMoveTheCaptionedWay() throws {
        let options = DatasetOptions(imageSize: 32, channels: 1, frames: 5, temporalPatchSize: 2, seed: 4)
        let clips = try openDataset(.fashionMNISTVideo, options: options, split: .heldOut)
        #expect(clips.count == 10000)
        var seen: Set<String> = []
        for index in stride(from: 0, to: 10000, by: 397) {
            let example = try clips.example(at: index)
            let video = example.video
            #expect(video.frames == 5 && video.height == 32 && video.width == 32)
            let words = example.caption!.split(separator: " ")
            #expect(words.count >= 4 && words[words.count - 2] == "moving")
            let direction = String(words.last!)
            seen.insert(direction)
            let centroids = (0..<5).map { centroid(video, frame: $0) }
            for f in 1..<5 {
                let (dy, dx) = (centroids[f].y - centroids[f - 1].y, centroids[f].x - centroids[f - 1].x)
                // The item is 16 px on a 32 px canvas: 16 px of travel in 4 steps.
                let (along, across): (Double, Double) = switch direction {
                case "left": (-dx, dy)
                case "right": (dx, dy)
                case "up": (-dy, dx)
                default: (dy, dx)
                }
                #expect(abs(along - 4) < 1e-6, "\(example.caption!) frame \(f)")
                #expect(abs(across) < 1e-6)
            }
        }
        #expect(seen == ["left", "right", "up", "down"])
        let again = try openDataset(.fashionMNISTVideo, options: options, split: .heldOut)
        #expect(try again.example(at: 397).video == clips.example(at: 397).video)
    }

    /// A frame count C-ViViT cannot take, or none, is a typed error saying what to pass.
    @Test func refusesFrameCountsCViViTCannotTake() throws {
        #expect(throws: DatasetError.self) {
            try openDataset(.fashionMNISTVideo, options: DatasetOptions(imageSize: 32, frames: 4, temporalPatchSize: 2), split: .train)
        }
        #expect(throws: DatasetError.self) {
            try openDataset(.fashionMNISTVideo, options: DatasetOptions(imageSize: 32, temporalPatchSize: 2), split: .train)
        }
        #expect(throws: DatasetError.self) {
            try openDataset(.fashionMNIST, options: DatasetOptions(imageSize: 32, fashionMNISTDirectory: "/nonexistent"), split: .train)
        }
    }

    /// The intensity-weighted centre (row, column) of one frame.
    func centroid(_ video: VideoFrames, frame: Int) -> (y: Double, x: Double) {
        let plane = video.height * video.width
        var (total, sy, sx) = (0.0, 0.0, 0.0)
        for y in 0..<video.height {
            for x in 0..<video.width {
                let v = Double(video.pixels[frame * plane + y * video.width + x])
                total += v
                sy += v * Double(y)
                sx += v * Double(x)
            }
        }
        return (sy / total, sx / total)
    }
}
