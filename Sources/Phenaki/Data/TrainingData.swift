import GraphRuntime
import MediaIO

/// One training example: a clip f32 [channels, frames, height, width] with values in [0, 1]
/// (an image is a clip of one frame) and its caption, if the data has captions.
public struct TrainingExample: Sendable {
    public var video: VideoFrames
    public var caption: String?

    public init(video: VideoFrames, caption: String? = nil) {
        self.video = video
        self.caption = caption
    }
}

/// A finite, indexable set of examples (a folder, Fashion-MNIST, a manifest).
///
/// `example(at:)` may decode files; it must be safe to call from several threads at once,
/// because loaders decode ahead in background threads.
public protocol ExampleSource: Sendable {
    /// The number of examples.
    var count: Int { get }
    /// Example `index` (0 ..< count), already resized and cropped to the model's frame size.
    func example(at index: Int) throws -> TrainingExample
}

/// One batch: videos f32 [batch, channels, frames, height, width] (images: frames = 1), one
/// caption per video (nil where the data has none), and the data order *after* this batch, the
/// value a checkpoint saves so that a resumed run continues with the next batch.
public struct TrainingBatch: Sendable {
    public var videos: HostTensor
    public var captions: [String?]
    public var order: DataOrderState

    public init(videos: HostTensor, captions: [String?], order: DataOrderState) {
        self.videos = videos
        self.captions = captions
        self.order = order
    }
}

/// The batches a trainer consumes, in a deterministic order (a function of the seed and the
/// `DataOrderState` it starts from), so an interrupted run resumes with exactly the batches an
/// uninterrupted one would have seen.
public protocol BatchStream: AnyObject {
    /// The next batch; never ends (epochs follow each other).
    func next() throws -> TrainingBatch
}
