import MediaIO

/// Finds the moving item in a clip's frames: the pixels brighter than a threshold are the
/// foreground (the clips draw a bright item on black), their bounding box is where the item
/// is, their intensity-weighted centroid where it is heading.
///
/// Every pass is a plain loop over an unsafe buffer of one grey plane (channels averaged).
public struct ItemLocator: Sendable {
    /// A pixel (grey, in [0, 1]) belongs to the foreground when it exceeds this.
    public var threshold: Float

    /// A locator with `threshold` (default 0.15: above the dark gaps inside an item's outline,
    /// below every item's bright body).
    public init(threshold: Float = 0.15) {
        self.threshold = threshold
    }

    /// Frame `frame` of `video` as one grey plane (the mean of its channels), values as given.
    public static func greyPlane(_ video: VideoFrames, frame: Int) -> [Float] {
        let plane = video.height * video.width
        var grey = [Float](repeating: 0, count: plane)
        let scale = 1 / Float(video.channels)
        video.pixels.withUnsafeBufferPointer { source in
            grey.withUnsafeMutableBufferPointer { out in
                for c in 0..<video.channels {
                    let base = (c * video.frames + frame) * plane
                    for p in 0..<plane { out[p] += source[base + p] * scale }
                }
            }
        }
        return grey
    }

    /// The foreground's bounding box in `grey` (height × width), rows `top..<bottom`, columns
    /// `left..<right`; nil when no pixel exceeds the threshold.
    public func boundingBox(_ grey: [Float], height: Int, width: Int)
        -> (top: Int, bottom: Int, left: Int, right: Int)? {
        var (top, bottom, left, right) = (height, -1, width, -1)
        grey.withUnsafeBufferPointer { g in
            for y in 0..<height {
                for x in 0..<width where g[y * width + x] > threshold {
                    top = min(top, y)
                    bottom = max(bottom, y)
                    left = min(left, x)
                    right = max(right, x)
                }
            }
        }
        return bottom < 0 ? nil : (top, bottom + 1, left, right + 1)
    }

    /// The intensity-weighted centroid (row, column) of the foreground of `grey`; nil when it
    /// is empty.
    public func centroid(_ grey: [Float], height: Int, width: Int) -> (y: Double, x: Double)? {
        var (total, sumY, sumX) = (0.0, 0.0, 0.0)
        grey.withUnsafeBufferPointer { g in
            for y in 0..<height {
                var (rowTotal, rowX) = (Float(0), Float(0))
                for x in 0..<width {
                    let v = g[y * width + x]
                    if v > threshold {
                        rowTotal += v
                        rowX += v * Float(x)
                    }
                }
                total += Double(rowTotal)
                sumY += Double(rowTotal) * Double(y)
                sumX += Double(rowX)
            }
        }
        return total > 0 ? (sumY / total, sumX / total) : nil
    }

    /// The item of `grey` as the classifier sees it: the square around the foreground's bounding
    /// box (the box centred in it, outside the frame black) resized to 28 × 28 with Pillow's
    /// bilinear filter, row-major; nil when the frame has no foreground.
    ///
    /// Training pictures go through the same crop, so the classifier never has to undo a
    /// difference of scale or position between Fashion-MNIST and a generated frame.
    public func itemCrop(_ grey: [Float], height: Int, width: Int, side target: Int = 28) -> [Float]? {
        guard let box = boundingBox(grey, height: height, width: width) else { return nil }
        let side = max(box.bottom - box.top, box.right - box.left)
        let top = box.top - (side - (box.bottom - box.top)) / 2
        let left = box.left - (side - (box.right - box.left)) / 2
        var square = [Float](repeating: 0, count: side * side)
        grey.withUnsafeBufferPointer { g in
            square.withUnsafeMutableBufferPointer { s in
                for y in 0..<side where top + y >= 0 && top + y < height {
                    for x in 0..<side where left + x >= 0 && left + x < width {
                        s[y * side + x] = g[(top + y) * width + left + x]
                    }
                }
            }
        }
        let picture = try! VideoFrames(channels: 1, frames: 1, height: side, width: side, pixels: square)
        return FrameResampler.fit(picture, to: SpatialSize(target), flip: false).pixels
    }

    /// The direction the item moves in `video`: the displacement of the foreground's centroid
    /// from the first frame to the last, along its dominant axis. Nil when the first or last
    /// frame has no foreground, or the centroid does not move.
    public func direction(of video: VideoFrames) -> ClipDirection? {
        guard video.frames >= 2,
              let first = centroid(Self.greyPlane(video, frame: 0), height: video.height, width: video.width),
              let last = centroid(Self.greyPlane(video, frame: video.frames - 1), height: video.height,
                                  width: video.width) else { return nil }
        let (dy, dx) = (last.y - first.y, last.x - first.x)
        if dx == 0 && dy == 0 { return nil }
        if abs(dx) >= abs(dy) { return dx < 0 ? .left : .right }
        return dy < 0 ? .up : .down
    }
}
