import Testing
@testable import MediaIO

/// JPEG: Pillow-written files (quality 95) decoded through libjpeg-turbo, against the
/// formulas that made them, within JPEG's error.
@Suite("MediaIO: JPEG")
struct JPEGTests {
    @Test func decodesColourGradient() throws {
        let image = try JPEGDecoder.decode(MediaTestSupport.fixture("gradient_rgb.jpg"))
        #expect(image.channels == 3 && image.height == 8 && image.width == 16)
        let expected = try MediaTestSupport.video(channels: 3, frames: 1, height: 8, width: 16) { c, _, y, x in
            Float([16 * x + 8, 32 * y + 16, 128][c]) / 255
        }
        let worst = MediaTestSupport.maxLevelError(image, expected)
        print("JPEG colour max error \(worst) levels")
        #expect(worst <= 6)
    }

    @Test func decodesGreyGradient() throws {
        let image = try JPEGDecoder.decode(MediaTestSupport.fixture("gradient_gray.jpg"))
        #expect(image.channels == 1 && image.height == 8 && image.width == 16)
        let expected = try MediaTestSupport.video(channels: 1, frames: 1, height: 8, width: 16) { _, _, y, x in
            Float(8 * x + 16 * y + 8) / 255
        }
        let worst = MediaTestSupport.maxLevelError(image, expected)
        print("JPEG grey max error \(worst) levels")
        #expect(worst <= 6)
    }
}
