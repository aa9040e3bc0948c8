import MediaIO

/// Fashion-MNIST items as still images: resized to cover the frame size and center-cropped,
/// grey repeated into RGB when the model has three channels, captioned "a sneaker".
struct FashionMNISTImages: EpochExampleSource {
    let data: FashionMNISTData
    let options: DatasetOptions

    var count: Int { data.count }

    func example(at index: Int, epoch: Int) throws -> TrainingExample {
        let flip = options.horizontalFlip && DataRandom.flips(seed: options.seed, index: index, epoch: epoch)
        var video = FrameResampler.fit(data.picture(index), to: options.imageSize, flip: flip)
        video = FrameResampler.convert(video, channels: options.channels)
        if let frames = options.frames { video = FrameResampler.castFrames(video, to: frames) }
        return TrainingExample(video: video, caption: data.noun(index))
    }
}
