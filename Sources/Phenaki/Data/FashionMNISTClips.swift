import MediaIO

/// Synthesised clips: a Fashion-MNIST item, scaled to half the canvas's shorter side, slides
/// in a straight line from one edge of a black canvas of the model's frame size to the
/// opposite edge over the clip's frames, captioned "a sneaker moving left".
///
/// The direction (left, right, up, down) and the position across the motion are drawn from
/// (seed, index), so an index always gives the same clip.
struct FashionMNISTClips: ExampleSource {
    /// The four directions, as the caption says them.
    enum Direction: Int, CaseIterable {
        case left, right, up, down
        var word: String { ["left", "right", "up", "down"][rawValue] }
    }

    let data: FashionMNISTData
    let options: DatasetOptions

    var count: Int { data.count }

    /// Side of the moving item in pixels.
    var itemSide: Int { max(1, min(options.imageSize.height, options.imageSize.width) / 2) }

    func direction(of index: Int) -> Direction {
        Direction(rawValue: DataRandom.below(4, seed: options.seed, .direction, UInt64(index)))!
    }

    /// The item's top-left corner (row, column) in each frame.
    func corners(of index: Int) -> [(y: Int, x: Int)] {
        let frames = options.frames ?? 1
        let side = itemSide
        let (spanY, spanX) = (options.imageSize.height - side, options.imageSize.width - side)
        let direction = direction(of: index)
        let across = direction == .left || direction == .right ? spanY : spanX
        let fixed = DataRandom.below(across + 1, seed: options.seed, .crossPosition, UInt64(index))
        return (0..<frames).map { f in
            // Travelled fraction f / (frames - 1), rounded to whole pixels.
            func along(_ span: Int) -> Int { frames == 1 ? 0 : (2 * f * span + frames - 1) / (2 * (frames - 1)) }
            switch direction {
            case .right: return (fixed, along(spanX))
            case .left: return (fixed, spanX - along(spanX))
            case .down: return (along(spanY), fixed)
            case .up: return (spanY - along(spanY), fixed)
            }
        }
    }

    func example(at index: Int) throws -> TrainingExample {
        let side = itemSide
        let item = FrameResampler.fit(data.picture(index), to: SpatialSize(side), flip: false).pixels
        let (height, width) = (options.imageSize.height, options.imageSize.width)
        let corners = corners(of: index)
        let plane = height * width
        var canvas = [Float](repeating: 0, count: corners.count * plane)
        canvas.withUnsafeMutableBufferPointer { target in
            item.withUnsafeBufferPointer { source in
                for (f, corner) in corners.enumerated() {
                    for y in 0..<side {
                        let row = f * plane + (corner.y + y) * width + corner.x
                        for x in 0..<side { target[row + x] = source[y * side + x] }
                    }
                }
            }
        }
        var video = try VideoFrames(channels: 1, frames: corners.count, height: height, width: width, pixels: canvas)
        video = FrameResampler.convert(video, channels: options.channels)
        return TrainingExample(video: video, caption: "\(data.noun(index)) moving \(direction(of: index).word)")
    }
}
