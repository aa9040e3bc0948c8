import MediaIO
import Testing
@testable import Phenaki

/// Resize, flip, center crop and frame-count rules, against values computed by hand from
/// torchvision's `Resize` / `CenterCrop` and Pillow's bilinear filter, and phenaki-pytorch's
/// `cast_num_frames`.
@Suite("Data: resampling")
struct DatasetResampleTests {
    /// `Resize(16)` of a 28 × 40 picture: the short side becomes 16, the long one
    /// int(16 * 40 / 28) = 22; `CenterCrop` offsets are round((resized - target) / 2), half to even.
    @Test func coverSizeAndCropOffsetFollowTorchvision() {
        #expect(FrameResampler.coverSize(height: 28, width: 40, target: SpatialSize(16)) == (16, 22))
        #expect(FrameResampler.coverSize(height: 40, width: 28, target: SpatialSize(16)) == (22, 16))
        #expect(FrameResampler.coverSize(height: 10, width: 10, target: SpatialSize(height: 4, width: 8)) == (8, 8))
        #expect(FrameResampler.cropOffset(resized: 22, target: 16) == 3)
        #expect(FrameResampler.cropOffset(resized: 5, target: 2) == 2)   // round(1.5) = 2
        #expect(FrameResampler.cropOffset(resized: 3, target: 2) == 0)   // round(0.5) = 0
        #expect(FrameResampler.cropOffset(resized: 7, target: 2) == 2)   // round(2.5) = 2
    }

    /// Enlarging [0, 1] to 4 samples: centres at 0.25, 0.75, 1.25, 1.75 in input pixels give
    /// 0 (clamped), 0.25, 0.75, 1 (clamped).
    @Test func enlargesBilinearly() throws {
        let row = try DatasetTestSupport.video(channels: 1, frames: 1, height: 1, width: 2) { _, _, _, x in Float(x) }
        let wide = FrameResampler.fit(row, to: SpatialSize(height: 1, width: 4), flip: false)
        // Height 1 -> 1 is only possible if width scales by the same factor: the cover size is
        // (2, 4), cropped to row 0 (offset round(0.5) = 0); rows of a constant column are equal.
        #expect(wide.pixels.count == 4)
        for (value, expected) in zip(wide.pixels, [0, 0.25, 0.75, 1] as [Float]) { #expect(abs(value - expected) < 1e-6) }
    }

    /// Halving 4 × 4 to 2 × 2: the triangle widens to a support of 2 input pixels; output 0
    /// centred at 1.0 weighs inputs 0, 1, 2 by 0.75, 0.75, 0.25 (/ 1.75), output 1 centred at
    /// 3.0 weighs inputs 2, 3 by 0.75, 0.75 and input 1 by 0.25 (/ 1.75).
    @Test func shrinksWithAWidenedTriangle() throws {
        let picture = try DatasetTestSupport.video(channels: 1, frames: 1, height: 4, width: 4) { _, _, y, x in
            Float(y * 4 + x) / 15
        }
        let small = FrameResampler.fit(picture, to: SpatialSize(2), flip: false)
        let w0: [Float] = [0.75 / 1.75, 0.75 / 1.75, 0.25 / 1.75, 0]
        let w1: [Float] = [0, 0.25 / 1.75, 0.75 / 1.75, 0.75 / 1.75]
        for (oy, wy) in [w0, w1].enumerated() {
            for (ox, wx) in [w0, w1].enumerated() {
                var expected: Float = 0
                for y in 0..<4 { for x in 0..<4 { expected += wy[y] * wx[x] * picture.pixels[y * 4 + x] } }
                #expect(abs(small.pixels[oy * 2 + ox] - expected) < 1e-6)
            }
        }
    }

    /// A non-integer ratio, 7 x 11 to 4 x 6 (the cover size is exactly 4 x 6, so nothing is
    /// cropped), against Pillow 'F'-mode BILINEAR resize of the same values, the filter
    /// torchvision's Resize applies to PIL images (recorded with the reference venv's Pillow).
    @Test func matchesPillowAtAnOddRatio() throws {
        let input: [Float] = [
            0.5488, 0.7152, 0.6028, 0.5449, 0.4237, 0.6459, 0.4376, 0.8918, 0.9637, 0.3834, 0.7917,
            0.5289, 0.5680, 0.9256, 0.0710, 0.0871, 0.0202, 0.8326, 0.7782, 0.8700, 0.9786, 0.7992,
            0.4615, 0.7805, 0.1183, 0.6399, 0.1434, 0.9447, 0.5218, 0.4147, 0.2646, 0.7742, 0.4562,
            0.5684, 0.0188, 0.6176, 0.6121, 0.6169, 0.9437, 0.6818, 0.3595, 0.4370, 0.6976, 0.0602,
            0.6668, 0.6706, 0.2104, 0.1289, 0.3154, 0.3637, 0.5702, 0.4386, 0.9884, 0.1020, 0.2089,
            0.1613, 0.6531, 0.2533, 0.4663, 0.2444, 0.1590, 0.1104, 0.6563, 0.1382, 0.1966, 0.3687,
            0.8210, 0.0971, 0.8379, 0.0961, 0.9765, 0.4687, 0.9768, 0.6048, 0.7393, 0.0392, 0.2828,
        ]
        let pillow: [Float] = [
            0.602758, 0.574956, 0.317478, 0.598147, 0.819762, 0.736261, 0.506087, 0.466197, 0.453143, 0.629419, 0.514114,
            0.578371, 0.497613, 0.360413, 0.400485, 0.492096, 0.527965, 0.276972, 0.461104, 0.427358, 0.468392, 0.524876,
            0.469438, 0.242828,
        ]
        let picture = try VideoFrames(channels: 1, frames: 1, height: 7, width: 11, pixels: input)
        let resized = FrameResampler.fit(picture, to: SpatialSize(height: 4, width: 6), flip: false)
        #expect(resized.height == 4 && resized.width == 6)
        for (value, expected) in zip(resized.pixels, pillow) { #expect(abs(value - expected) < 2e-6) }
    }

    /// data.py flips before it crops: a 2 × 5 picture cropped to 2 × 2 keeps columns 2, 3
    /// (offset round(1.5) = 2); flipped first, it keeps columns 2, 1 of the original.
    @Test func flipsBeforeCropping() throws {
        let picture = try DatasetTestSupport.video(channels: 3, frames: 2, height: 2, width: 5) { c, f, y, x in
            Float(100 * c + 10 * f + x) / 1000 + Float(y) / 2
        }
        for (flip, columns) in [(false, [2, 3]), (true, [2, 1])] {
            let cropped = FrameResampler.fit(picture, to: SpatialSize(2), flip: flip)
            #expect(cropped.channels == 3 && cropped.frames == 2 && cropped.height == 2 && cropped.width == 2)
            for c in 0..<3 { for f in 0..<2 { for y in 0..<2 { for (ox, x) in columns.enumerated() {
                let value = cropped.pixels[((c * 2 + f) * 2 + y) * 2 + ox]
                #expect(abs(value - (Float(100 * c + 10 * f + x) / 1000 + Float(y) / 2)) < 1e-6)
            } } } }
        }
    }

    /// Grey repeats into three channels; RGB becomes 0.299 R + 0.587 G + 0.114 B.
    @Test func convertsChannels() throws {
        let grey = try DatasetTestSupport.video(channels: 1, frames: 2, height: 1, width: 2) { _, f, _, x in Float(f * 2 + x) / 4 }
        let rgb = FrameResampler.convert(grey, channels: 3)
        #expect(rgb.pixels == grey.pixels + grey.pixels + grey.pixels)
        let colour = try DatasetTestSupport.video(channels: 3, frames: 1, height: 1, width: 1) { c, _, _, _ in [0.2, 0.4, 1.0][c] }
        #expect(abs(FrameResampler.convert(colour, channels: 1).pixels[0] - (0.299 * 0.2 + 0.587 * 0.4 + 0.114)) < 1e-6)
    }

    /// `cast_num_frames`: longer videos keep their first frames, shorter ones get black frames
    /// after theirs, in every channel.
    @Test func castsFrameCountsLikeDataPy() throws {
        let video = try DatasetTestSupport.video(channels: 2 + 1, frames: 3, height: 1, width: 2) { c, f, _, x in
            Float(1 + c * 10 + f * 2 + x) / 64
        }
        let padded = FrameResampler.castFrames(video, to: 5)
        let cropped = FrameResampler.castFrames(video, to: 2)
        for c in 0..<3 {
            for f in 0..<5 {
                for x in 0..<2 {
                    let expected: Float = f < 3 ? Float(1 + c * 10 + f * 2 + x) / 64 : 0
                    #expect(padded.pixels[(c * 5 + f) * 2 + x] == expected)
                    if f < 2 { #expect(cropped.pixels[(c * 2 + f) * 2 + x] == expected) }
                }
            }
        }
        #expect(padded.frames == 5 && cropped.frames == 2)
    }
}
