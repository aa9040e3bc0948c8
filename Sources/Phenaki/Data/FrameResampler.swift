import MediaIO

/// Shapes decoded frames for the model the way phenaki-pytorch's datasets do with torchvision:
/// `Resize(image_size)` (the shorter side to the target, the other side scaled and truncated),
/// `RandomHorizontalFlip`, `CenterCrop(image_size)`; plus channel conversion and
/// `cast_num_frames`.
///
/// Resizing is Pillow's bilinear filter: a triangle kernel stretched by the scale factor when
/// shrinking (so it averages rather than aliases) and plain bilinear interpolation with
/// half-pixel centres when enlarging. It runs separably, rows then columns, over unsafe
/// buffers, and only for the pixels the crop keeps.
enum FrameResampler {
    /// Taps of one axis: output `o` is Σ_k weights[o * taps + k] * input[starts[o] + k].
    struct AxisWeights {
        var starts: [Int]
        var taps: Int
        var weights: [Float]
    }

    /// The size torchvision's `Resize` gives a `height` × `width` picture so that it covers
    /// `target` (for a square target: the shorter side becomes the target side).
    static func coverSize(height: Int, width: Int, target: SpatialSize) -> (height: Int, width: Int) {
        let byHeight = Double(target.height) / Double(height)
        let byWidth = Double(target.width) / Double(width)
        if byHeight >= byWidth {
            return (target.height, max(target.width, Int(Double(target.height) * Double(width) / Double(height))))
        }
        return (max(target.height, Int(Double(target.width) * Double(height) / Double(width))), target.width)
    }

    /// torchvision's `CenterCrop` offset: `int(round((resized - target) / 2))`, Python's round
    /// (half to even).
    static func cropOffset(resized: Int, target: Int) -> Int {
        Int((Double(resized - target) / 2).rounded(.toNearestOrEven))
    }

    /// Weights taking an axis of `input` samples resized to `resized` samples, for the resized
    /// positions in `outputs`.
    static func axisWeights(input: Int, resized: Int, outputs: [Int]) -> AxisWeights {
        let scale = Double(input) / Double(resized)
        let support = max(scale, 1)
        let taps = Int((support * 2).rounded(.up)) + 2
        var starts = [Int](repeating: 0, count: outputs.count)
        var weights = [Float](repeating: 0, count: outputs.count * taps)
        for (o, position) in outputs.enumerated() {
            let center = (Double(position) + 0.5) * scale
            let low = max(0, Int(center - support + 0.5))
            let high = min(input, Int(center + support + 0.5))
            var total = 0.0
            for j in low..<max(low, high) {
                total += max(0, 1 - abs((Double(j) - center + 0.5) / support))
            }
            starts[o] = low
            for j in low..<max(low, high) where total > 0 {
                let w = max(0, 1 - abs((Double(j) - center + 0.5) / support))
                weights[o * taps + j - low] = Float(w / total)
            }
        }
        return AxisWeights(starts: starts, taps: taps, weights: weights)
    }

    /// `video` resized to cover `size`, mirrored when `flip`, and center-cropped to `size`.
    static func fit(_ video: VideoFrames, to size: SpatialSize, flip: Bool) -> VideoFrames {
        let (rh, rw) = coverSize(height: video.height, width: video.width, target: size)
        let top = cropOffset(resized: rh, target: size.height)
        let left = cropOffset(resized: rw, target: size.width)
        let columns = (0..<size.width).map { flip ? rw - 1 - (left + $0) : left + $0 }
        let rows = (0..<size.height).map { top + $0 }
        if rh == video.height, rw == video.width, !flip, top == 0, left == 0 { return video }
        let across = axisWeights(input: video.width, resized: rw, outputs: columns)
        let down = axisWeights(input: video.height, resized: rh, outputs: rows)
        let planes = video.channels * video.frames
        let (inH, inW, outH, outW) = (video.height, video.width, size.height, size.width)
        var out = [Float](repeating: 0, count: planes * outH * outW)
        var rowsDone = [Float](repeating: 0, count: inH * outW)
        video.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                rowsDone.withUnsafeMutableBufferPointer { tmp in
                    across.weights.withUnsafeBufferPointer { wx in
                        down.weights.withUnsafeBufferPointer { wy in
                            for plane in 0..<planes {
                                let input = source.baseAddress! + plane * inH * inW
                                for y in 0..<inH {
                                    let line = input + y * inW
                                    for x in 0..<outW {
                                        let start = across.starts[x]
                                        var sum: Float = 0
                                        for k in 0..<across.taps where start + k < inW {
                                            sum += wx[x * across.taps + k] * line[start + k]
                                        }
                                        tmp[y * outW + x] = sum
                                    }
                                }
                                let output = target.baseAddress! + plane * outH * outW
                                for y in 0..<outH {
                                    let start = down.starts[y]
                                    for x in 0..<outW { output[y * outW + x] = 0 }
                                    for k in 0..<down.taps where start + k < inH {
                                        let w = wy[y * down.taps + k]
                                        if w == 0 { continue }
                                        let line = tmp.baseAddress! + (start + k) * outW
                                        for x in 0..<outW { output[y * outW + x] += w * line[x] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The extents are positive and the count matches by construction.
        return try! VideoFrames(channels: video.channels, frames: video.frames, height: outH, width: outW, pixels: out)
    }

    /// `video` with `channels` channels: grey repeated into RGB, or RGB to luma with the ITU-R
    /// 601 weights of Pillow's `convert('L')`.
    static func convert(_ video: VideoFrames, channels: Int) -> VideoFrames {
        if video.channels == channels { return video }
        let plane = video.frames * video.height * video.width
        var out = [Float](repeating: 0, count: channels * plane)
        video.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                if channels == 3 {
                    for c in 0..<3 {
                        for p in 0..<plane { target[c * plane + p] = source[p] }
                    }
                } else {
                    for p in 0..<plane {
                        target[p] = 0.299 * source[p] + 0.587 * source[plane + p] + 0.114 * source[2 * plane + p]
                    }
                }
            }
        }
        return try! VideoFrames(channels: channels, frames: video.frames, height: video.height, width: video.width, pixels: out)
    }

    /// phenaki-pytorch's `cast_num_frames`: the first `frames` frames, or all of them followed
    /// by black frames up to `frames`.
    static func castFrames(_ video: VideoFrames, to frames: Int) -> VideoFrames {
        if video.frames == frames { return video }
        let plane = video.height * video.width
        var out = [Float](repeating: 0, count: video.channels * frames * plane)
        let kept = min(frames, video.frames)
        for c in 0..<video.channels {
            let from = c * video.frames * plane
            let to = c * frames * plane
            out.replaceSubrange(to..<to + kept * plane, with: video.pixels[from..<from + kept * plane])
        }
        return try! VideoFrames(channels: video.channels, frames: frames, height: video.height, width: video.width, pixels: out)
    }
}
