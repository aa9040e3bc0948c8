import Foundation
import MediaIO
import Testing
@testable import Phenaki

/// The caption scorer on real dataset clips, whose captions are the ground truth: the item
/// classifier (a DSL graph trained on Fashion-MNIST) and the centroid direction must read them
/// as their captions say.
@Suite("Eval: scorer on dataset clips", .serialized)
struct EvalScorerTests {
    /// Held-out clips of the `small` config's frame size (64 × 64, items 32 px) and 5 frames.
    let clipOptions = DatasetOptions(imageSize: 64, channels: 3, frames: 5, temporalPatchSize: 2, seed: 3)

    /// ≥ 85 % on Fashion-MNIST's 10 000 test pictures (cropped to their items), and the accuracy
    /// the classifier reports is the one measured again here.
    @Test func classifierReachesItsAccuracyOnTheTestSet() throws {
        let classifier = try EvalTestSupport.classifier()
        #expect(classifier.heldOutAccuracy >= 0.85, "accuracy \(classifier.heldOutAccuracy)")
        #expect(try classifier.accuracy() == classifier.heldOutAccuracy)
    }

    /// The first frame of 500 held-out clips: its item crop classified ≥ 85 % right against the
    /// caption's class; the centroid direction of the whole clip ≥ 95 % right.
    @Test func firstFramesAndDirectionsMatchTheCaptions() throws {
        let scorer = ClipScorer(classifier: try EvalTestSupport.classifier())
        let data = try openDataset(.fashionMNISTVideo, options: clipOptions, split: .heldOut)
        let clips = 500
        var crops: [[Float]] = [], captions: [ClipCaption] = [], directionsRight = 0
        for i in 0..<clips {
            let example = try data.example(at: i)
            let caption = try #require(example.caption.flatMap(ClipCaption.init(parsing:)))
            captions.append(caption)
            let video = example.video
            crops.append(try #require(scorer.locator.itemCrop(ItemLocator.greyPlane(video, frame: 0),
                                                              height: video.height, width: video.width)))
            if scorer.locator.direction(of: video) == caption.direction { directionsRight += 1 }
        }
        let predicted = try scorer.classifier.predict(crops)
        let classesRight = zip(predicted, captions).filter { $0.0 == $0.1.itemClass }.count
        #expect(Double(classesRight) / Double(clips) >= 0.85, "\(classesRight) of \(clips) classes right")
        #expect(Double(directionsRight) / Double(clips) >= 0.95, "\(directionsRight) of \(clips) directions right")
    }

    /// The whole scorer on dataset clips fed as if generated: class (logits over all frames),
    /// direction and both at least as high as the contract asks, and `CaptionScore` counts as the
    /// readings say.
    @Test func heldOutCeilingIsHigh() throws {
        let scorer = ClipScorer(classifier: try EvalTestSupport.classifier())
        let score = try CaptionAccuracy.heldOutCeiling(scorer: scorer, clips: 200, options: clipOptions)
        #expect(score.clips == 200)
        #expect(score.classAccuracy >= 0.85 && score.directionAccuracy >= 0.95, "\(score)")
        #expect(score.accuracy <= min(score.classAccuracy, score.directionAccuracy))
        #expect(score.accuracy >= score.classAccuracy + score.directionAccuracy - 1 - 1e-9)
    }

    /// The direction oracle on a synthetic clip: a bright square moved by hand reads as the
    /// direction it was moved in; a still one has none; an empty clip has none.
    @Test(arguments: ClipDirection.allCases)
    func directionOfAHandMadeClip(direction: ClipDirection) throws {
        let (h, w, frames, side) = (20, 20, 4, 5)
        var pixels = [Float](repeating: 0, count: frames * h * w)
        for f in 0..<frames {
            let step = 3 * f
            let (y0, x0): (Int, Int) = switch direction {
            case .left: (7, 14 - step)
            case .right: (7, 1 + step)
            case .up: (14 - step, 7)
            case .down: (1 + step, 7)
            }
            for y in y0..<(y0 + side) { for x in x0..<(x0 + side) { pixels[f * h * w + y * w + x] = 0.9 } }
        }
        let video = try VideoFrames(channels: 1, frames: frames, height: h, width: w, pixels: pixels)
        #expect(ItemLocator().direction(of: video) == direction)
        let still = try VideoFrames(channels: 1, frames: 2, height: h, width: w,
                                    pixels: Array(pixels[0..<(h * w)]) + Array(pixels[0..<(h * w)]))
        #expect(ItemLocator().direction(of: still) == nil)
        let empty = try VideoFrames(channels: 1, frames: 2, height: h, width: w, pixels: [Float](repeating: 0, count: 2 * h * w))
        #expect(ItemLocator().direction(of: empty) == nil)
    }

    /// The crop of a picture drawn inside a larger black frame is the crop of the picture itself:
    /// position does not change what the classifier sees.
    @Test func itemCropIgnoresPosition() throws {
        let data = try openDataset(.fashionMNIST, options: DatasetOptions(imageSize: 28, channels: 1), split: .heldOut)
        let picture = try data.example(at: 7).video.pixels
        var canvas = [Float](repeating: 0, count: 50 * 60)
        for y in 0..<28 { for x in 0..<28 { canvas[(y + 13) * 60 + x + 21] = picture[y * 28 + x] } }
        let locator = ItemLocator()
        let direct = try #require(locator.itemCrop(picture, height: 28, width: 28))
        let placed = try #require(locator.itemCrop(canvas, height: 50, width: 60))
        #expect(direct == placed)
        #expect(direct.count == 784)
    }
}
