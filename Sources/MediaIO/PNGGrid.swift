/// Tiles frames into one picture, row by row, for saving a batch of samples as a single PNG.
public enum PNGGrid {
    /// One frame holding every frame of `videos` (in order: all frames of the first video,
    /// then the next, ...) on a grid of `columns` columns, with `padding` pixels of
    /// `paddingValue` between tiles and around the edge. With `columns` equal to the frame
    /// count, each video fills one row. Grey videos are repeated into RGB when mixed with
    /// colour ones; all frames must share one height and width.
    public static func compose(
        _ videos: [VideoFrames], columns: Int, padding: Int = 2, paddingValue: Float = 1
    ) throws(MediaError) -> VideoFrames {
        guard let first = videos.first else { throw .invalidArgument(reason: "a grid needs at least one video") }
        guard columns > 0, padding >= 0 else {
            throw .invalidArgument(reason: "grid columns \(columns) and padding \(padding); columns must be at least 1, padding at least 0")
        }
        for video in videos where video.height != first.height || video.width != first.width {
            throw .invalidArgument(reason: "grid frames differ in size (\(first.height)x\(first.width) and \(video.height)x\(video.width)); resize them to one size")
        }
        let channels = videos.contains { $0.channels == 3 } ? 3 : 1
        let count = videos.reduce(0) { $0 + $1.frames }
        let rows = (count + columns - 1) / columns
        let tileColumns = min(columns, count)
        let (h, w) = (first.height, first.width)
        let gridHeight = rows * h + (rows + 1) * padding
        let gridWidth = tileColumns * w + (tileColumns + 1) * padding
        guard gridHeight * gridWidth <= VideoFrames.maxPixels else {
            throw .tooLarge(format: "PNG grid", width: gridWidth, height: gridHeight, frames: 1, limit: VideoFrames.maxPixels)
        }
        let plane = gridHeight * gridWidth
        var pixels = [Float](repeating: paddingValue, count: channels * plane)
        var tile = 0
        for video in videos {
            let sourcePlane = video.height * video.width
            for frame in 0..<video.frames {
                let top = padding + (tile / columns) * (h + padding)
                let left = padding + (tile % columns) * (w + padding)
                for c in 0..<channels {
                    let sourceChannel = video.channels == 1 ? 0 : c
                    let source = (sourceChannel * video.frames + frame) * sourcePlane
                    for y in 0..<h {
                        let target = c * plane + (top + y) * gridWidth + left
                        for x in 0..<w { pixels[target + x] = video.pixels[source + y * w + x] }
                    }
                }
                tile += 1
            }
        }
        return try VideoFrames(channels: channels, frames: 1, height: gridHeight, width: gridWidth, pixels: pixels)
    }

    /// Composes the grid (see `compose`) and writes it as a PNG at `path` atomically.
    public static func write(
        _ videos: [VideoFrames], columns: Int, padding: Int = 2, paddingValue: Float = 1, to path: String
    ) throws(MediaError) {
        try PNGEncoder.write(compose(videos, columns: columns, padding: padding, paddingValue: paddingValue), to: path)
    }
}
