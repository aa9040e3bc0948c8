/// Chooses a palette of at most 256 colours for one picture and maps every pixel to it.
///
/// A picture with at most `maxColors` distinct colours keeps them all (so grey frames and
/// flat-coloured frames round-trip exactly). Otherwise median cut (Heckbert 1982): the box
/// of colours with the widest channel range is split at the weighted median of that
/// channel until there are `maxColors` boxes; each box becomes its pixels' mean colour, so
/// a pixel is off by at most its box's extent.
enum PaletteQuantizer {
    /// A palette (`count` RGB triples) and one palette index per pixel.
    struct Result {
        var palette: [UInt8]
        var indices: [UInt8]
        var count: Int { palette.count / 3 }
    }

    /// Quantizes interleaved RGB bytes (`3 * pixelCount`).
    static func quantize(rgb: [UInt8], maxColors: Int = 256) -> Result {
        precondition(rgb.count % 3 == 0 && (1...256).contains(maxColors))
        let pixelCount = rgb.count / 3
        var packed = [UInt32](repeating: 0, count: pixelCount)
        for p in 0..<pixelCount {
            packed[p] = UInt32(rgb[3 * p]) << 16 | UInt32(rgb[3 * p + 1]) << 8 | UInt32(rgb[3 * p + 2])
        }
        // Distinct colours (sorted) and how many pixels have each.
        let sorted = packed.sorted()
        var colors: [UInt32] = []
        var weights: [Int] = []
        for value in sorted {
            if let last = colors.last, last == value {
                weights[weights.count - 1] += 1
            } else {
                colors.append(value)
                weights.append(1)
            }
        }
        var paletteIndexOfColor = [UInt8](repeating: 0, count: colors.count)
        var palette: [UInt8] = []
        if colors.count <= maxColors {
            for (i, color) in colors.enumerated() {
                palette += [UInt8(color >> 16), UInt8((color >> 8) & 0xff), UInt8(color & 0xff)]
                paletteIndexOfColor[i] = UInt8(i)
            }
        } else {
            palette = medianCut(colors: colors, weights: weights, maxColors: maxColors, boxOfColor: &paletteIndexOfColor)
        }
        var indices = [UInt8](repeating: 0, count: pixelCount)
        for p in 0..<pixelCount {
            indices[p] = paletteIndexOfColor[binarySearch(colors, packed[p])]
        }
        return Result(palette: palette, indices: indices)
    }

    /// The position of `value` in the sorted array `values`, which holds it.
    private static func binarySearch(_ values: [UInt32], _ value: UInt32) -> Int {
        var low = 0
        var high = values.count - 1
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    @inline(__always)
    private static func channel(_ color: UInt32, _ c: Int) -> Int { Int((color >> UInt32(16 - 8 * c)) & 0xff) }

    /// One box: a range of `order`, and the channel with the widest spread and that spread.
    private struct Box {
        var start: Int
        var end: Int
        var channel = 0
        var spread = 0
    }

    private static func measure(_ box: inout Box, _ order: [Int], _ colors: [UInt32]) {
        var low = [255, 255, 255]
        var high = [0, 0, 0]
        for i in box.start..<box.end {
            let color = colors[order[i]]
            for c in 0..<3 {
                let v = channel(color, c)
                low[c] = min(low[c], v)
                high[c] = max(high[c], v)
            }
        }
        box.channel = 0
        box.spread = high[0] - low[0]
        for c in 1..<3 where high[c] - low[c] > box.spread {
            box.channel = c
            box.spread = high[c] - low[c]
        }
    }

    private static func medianCut(colors: [UInt32], weights: [Int], maxColors: Int, boxOfColor: inout [UInt8]) -> [UInt8] {
        var order = Array(0..<colors.count)
        var first = Box(start: 0, end: colors.count)
        measure(&first, order, colors)
        var boxes = [first]
        while boxes.count < maxColors {
            var pick = -1
            for (b, box) in boxes.enumerated() where box.spread > 0 && (pick < 0 || box.spread > boxes[pick].spread) {
                pick = b
            }
            if pick < 0 { break }
            let box = boxes[pick]
            let c = box.channel
            // Weighted median of the channel through a 256-bin histogram; the cut value stays
            // below the box's maximum so both halves are non-empty.
            var histogram = [Int](repeating: 0, count: 256)
            var total = 0
            var highest = 0
            for i in box.start..<box.end {
                let v = channel(colors[order[i]], c)
                histogram[v] += weights[order[i]]
                total += weights[order[i]]
                highest = max(highest, v)
            }
            var cut = 0
            var running = 0
            for v in 0..<256 {
                running += histogram[v]
                if 2 * running >= total {
                    cut = v
                    break
                }
            }
            cut = min(cut, highest - 1)
            // Partition in place: values <= cut to the left.
            var left = box.start
            for i in box.start..<box.end where channel(colors[order[i]], c) <= cut {
                order.swapAt(left, i)
                left += 1
            }
            var lower = Box(start: box.start, end: left)
            var upper = Box(start: left, end: box.end)
            measure(&lower, order, colors)
            measure(&upper, order, colors)
            boxes[pick] = lower
            boxes.append(upper)
        }
        var palette: [UInt8] = []
        for (b, box) in boxes.enumerated() {
            var sums = [0, 0, 0]
            var total = 0
            for i in box.start..<box.end {
                let w = weights[order[i]]
                for c in 0..<3 { sums[c] += w * channel(colors[order[i]], c) }
                total += w
                boxOfColor[order[i]] = UInt8(b)
            }
            for c in 0..<3 { palette.append(UInt8((sums[c] + total / 2) / total)) }
        }
        return palette
    }
}
