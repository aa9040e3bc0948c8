import GraphRuntime

/// What `makeVideo` returns: the whole video and each scene, f32 [b, c, frames, H, W].
public struct MadeVideo: Sendable {
    /// The scenes concatenated along the frame axis.
    public var video: HostTensor
    /// Each scene's frames (without the frames that primed it).
    public var scenes: [HostTensor]
}

extension PhenakiSampler {
    /// phenaki-pytorch's `make_video`: one scene per text, each primed with the last
    /// `primeLengths[i]` frames of the scene before (re-encoded by C-ViViT).
    ///
    /// One deliberate difference: the priming frames are clamped to [0, 1], the range of the
    /// frames C-ViViT trains on and of the video that is written (phenaki-pytorch re-encodes the
    /// raw decoder output). The raw output strays below 0 in the background (to −0.13 with the
    /// demo checkpoint), which changed 60 of the 64 codebook ids of a primed frame there, and the
    /// next scene then lost the item's place; clamped, a scene continues as it would from the
    /// saved video (`phenaki sample --prime FILE`).
    ///
    /// - Parameters:
    ///   - texts: text embeddings per scene, each [b, m, dim_context] with the same batch (nil
    ///     entries for an unconditional model).
    ///   - frames: frames per scene (one value for all, or one per scene). The first scene's count
    ///     includes its first frame (`frames - 1` a multiple of temporal_patch_size); later scenes
    ///     count new frames only (a multiple of temporal_patch_size).
    ///   - primeLengths: priming frames of scenes 2, 3, ... (one value for all, or one per
    ///     transition); each `length - 1` a multiple of temporal_patch_size.
    ///   - options: the sampling options; scene `i` draws with the seed's `i`-th fold.
    ///   - observer: sees each step of each scene (the scene index, 0-based, and the step).
    public func makeVideo(texts: [HostTensor?], frames: [Int], primeLengths: [Int],
                          options: SamplingOptions = SamplingOptions(),
                          observer: ((Int, SamplingStep) -> Void)? = nil) throws -> MadeVideo {
        let scenes = texts.count
        guard scenes >= 1, !frames.isEmpty else { throw SamplingError.invalidScenes(reason: "at least one scene is needed") }
        guard frames.count == 1 || frames.count == scenes else {
            throw SamplingError.invalidScenes(reason: "\(frames.count) frame counts for \(scenes) scenes: give 1 or \(scenes)")
        }
        guard scenes == 1 || primeLengths.count == 1 || primeLengths.count == scenes - 1 else {
            throw SamplingError.invalidScenes(
                reason: "\(primeLengths.count) prime lengths for \(scenes) scenes: give 1 or \(scenes - 1)")
        }
        var made: [HostTensor] = []
        var prime: HostTensor?
        for i in 0..<scenes {
            let sceneFrames = frames.count == 1 ? frames[0] : frames[i]
            var sceneOptions = options
            sceneOptions.seed = RNGKey(seed: options.seed).foldIn(i).bits(0)
            let video = try sample(frames: sceneFrames, text: texts[i], primeVideo: prime, options: sceneOptions,
                                   observer: observer.map { observe in { observe(i, $0) } })
            made.append(video)
            if i + 1 < scenes {
                let length = primeLengths.count == 1 ? primeLengths[0] : primeLengths[i]
                guard length >= 1, length <= video.shape[2] else {
                    throw SamplingError.invalidScenes(
                        reason: "prime length \(length) of scene \(i + 2) must be in 1...\(video.shape[2]) (the frames of scene \(i + 1))")
                }
                prime = FrameBlocks.slice(video, from: video.shape[2] - length, to: video.shape[2])
                prime!.scalars = prime!.scalars.map { min(max($0, 0), 1) }
            }
        }
        return MadeVideo(video: FrameBlocks.concat(made), scenes: made)
    }
}

/// Frame-axis slicing and concatenation of videos [b, c, f, H, W], by contiguous block copies.
enum FrameBlocks {
    /// Frames `start..<end` of `video`.
    static func slice(_ video: HostTensor, from start: Int, to end: Int) -> HostTensor {
        let (outer, f, frame) = (video.shape[0] * video.shape[1], video.shape[2], video.shape[3] * video.shape[4])
        var values = [Double]()
        values.reserveCapacity(outer * (end - start) * frame)
        for o in 0..<outer {
            values.append(contentsOf: video.scalars[((o * f + start) * frame)..<((o * f + end) * frame)])
        }
        var shape = video.shape
        shape[2] = end - start
        return HostTensor(shape: shape, dtype: video.dtype, scalars: values)
    }

    /// `videos` joined along the frame axis (same batch, channels and frame size).
    static func concat(_ videos: [HostTensor]) -> HostTensor {
        let first = videos[0]
        let (outer, frame) = (first.shape[0] * first.shape[1], first.shape[3] * first.shape[4])
        let total = videos.reduce(0) { $0 + $1.shape[2] }
        var values = [Double]()
        values.reserveCapacity(outer * total * frame)
        for o in 0..<outer {
            for v in videos {
                let f = v.shape[2]
                values.append(contentsOf: v.scalars[(o * f * frame)..<((o + 1) * f * frame)])
            }
        }
        var shape = first.shape
        shape[2] = total
        return HostTensor(shape: shape, dtype: first.dtype, scalars: values)
    }
}
