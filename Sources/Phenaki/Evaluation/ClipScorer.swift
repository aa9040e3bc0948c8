import MediaIO
import PhenakiGraphs

/// What the scorer reads from one clip.
public struct ClipReading: Hashable, Sendable {
    /// The item class (argmax of the classifier's logits summed over frames); nil when no frame
    /// has a foreground.
    public var itemClass: Int?
    /// The direction of the foreground centroid's motion; nil when it cannot be told.
    public var direction: ClipDirection?

    public init(itemClass: Int?, direction: ClipDirection?) {
        self.itemClass = itemClass
        self.direction = direction
    }

    /// Whether both match `caption`.
    public func matches(_ caption: ClipCaption) -> Bool {
        itemClass == caption.itemClass && direction == caption.direction
    }
}

/// Reads the item class and motion direction of clips, so that a generated clip can be checked
/// against its prompt.
public struct ClipScorer {
    /// The item classifier.
    public let classifier: FashionItemClassifier
    /// Finds the item in each frame.
    public var locator: ItemLocator

    public init(classifier: FashionItemClassifier, locator: ItemLocator = ItemLocator()) {
        self.classifier = classifier
        self.locator = locator
    }

    /// The class of each frame's item crop (nil where a frame has no foreground), frame order.
    public func frameClasses(_ video: VideoFrames) throws -> [Int?] {
        let crops = itemCrops(video)
        let predicted = try classifier.predict(crops.compactMap { $0 })
        var next = 0
        return crops.map { crop in
            guard crop != nil else { return nil }
            defer { next += 1 }
            return predicted[next]
        }
    }

    /// The item class and direction of `video` ([c, f, H, W], values in [0, 1]): the class whose
    /// logits, summed over the frames that have a foreground, are largest (one frame can be
    /// ambiguous, the clip rarely is), and the centroid's direction.
    public func read(_ video: VideoFrames) throws -> ClipReading {
        let crops = itemCrops(video).compactMap { $0 }
        var itemClass: Int?
        if !crops.isEmpty {
            var total = [Float](repeating: 0, count: FashionClassifier.classes)
            for logits in try classifier.logits(crops) {
                for c in 0..<total.count { total[c] += logits[c] }
            }
            itemClass = FashionItemClassifier.argmax(total)
        }
        return ClipReading(itemClass: itemClass, direction: locator.direction(of: video))
    }

    private func itemCrops(_ video: VideoFrames) -> [[Float]?] {
        (0..<video.frames).map { f in
            locator.itemCrop(ItemLocator.greyPlane(video, frame: f), height: video.height, width: video.width)
        }
    }
}
