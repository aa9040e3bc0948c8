/// Which data to train on, as a command line names it.
public enum DatasetSpec: Equatable, Sendable {
    /// A folder of images (png, jpg, jpeg) or, when a frame count is given, videos (gif, mp4),
    /// searched recursively; a `.txt` beside a file is its caption.
    case folder(String)
    /// A JSON Lines file, one `{"path": ..., "caption": ...}` object per line; paths are
    /// relative to the manifest's folder.
    case manifest(String)
    /// Fashion-MNIST items as still images captioned with their class ("a sneaker").
    case fashionMNIST
    /// Fashion-MNIST items moving across a larger canvas ("an ankle boot moving up").
    case fashionMNISTVideo

    /// "fashion-mnist", "fashion-mnist-video", a path ending in `.jsonl` (a manifest), or else a
    /// folder.
    public init(parsing text: String) {
        switch text.lowercased() {
        case "fashion-mnist", "fashion_mnist", "fashionmnist": self = .fashionMNIST
        case "fashion-mnist-video", "fashion_mnist_video", "fashionmnist-video": self = .fashionMNISTVideo
        default: self = text.lowercased().hasSuffix(".jsonl") ? .manifest(text) : .folder(text)
        }
    }
}

/// Which part of a dataset to read. Fashion-MNIST's held-out part is its official test set
/// (the t10k files); folders and manifests have no held-out part of their own, so both
/// splits read everything there.
public enum DatasetSplit: Sendable {
    case train, heldOut
}

/// How examples are shaped: every example comes out `[channels, frames, height, width]` with
/// values in [0, 1], whatever its file held.
public struct DatasetOptions: Sendable {
    /// The model's frame size; pictures are resized so they cover it, then center-cropped.
    public var imageSize: SpatialSize
    /// 1 (grey) or 3 (RGB); grey sources repeat their channel, colour sources are converted to
    /// luma with ITU-R 601 weights as Pillow's `convert('L')` does.
    public var channels: Int
    /// Frames per video (1 + k * temporalPatchSize); nil: still images. Longer videos keep their
    /// first frames, shorter ones are padded with black frames (phenaki-pytorch's
    /// `cast_num_frames`).
    public var frames: Int?
    /// The C-ViViT temporal patch size the frame count must fit.
    public var temporalPatchSize: Int
    /// Mirror pictures left to right with probability 1/2 (drawn from the seed, the example and
    /// the epoch). Fashion-MNIST clips are never mirrored: that would contradict their caption.
    public var horizontalFlip: Bool
    /// Seeds everything random about the examples (flips, clip motion).
    public var seed: UInt64
    /// Where the Fashion-MNIST IDX files are (plain or gzip-compressed).
    public var fashionMNISTDirectory: String

    /// The folder Debian's `dataset-fashion-mnist` package installs into.
    public static let defaultFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    public init(imageSize: SpatialSize, channels: Int = 3, frames: Int? = nil, temporalPatchSize: Int = 1,
                horizontalFlip: Bool = false, seed: UInt64 = 0,
                fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory) {
        self.imageSize = imageSize
        self.channels = channels
        self.frames = frames
        self.temporalPatchSize = temporalPatchSize
        self.horizontalFlip = horizontalFlip
        self.seed = seed
        self.fashionMNISTDirectory = fashionMNISTDirectory
    }

    /// The frame size, channel count and temporal patch size of a C-ViViT config.
    public init(config: CViViTConfig, frames: Int?, horizontalFlip: Bool = false, seed: UInt64 = 0,
                fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory) {
        self.init(imageSize: config.imageSize, channels: config.channels, frames: frames,
                  temporalPatchSize: config.temporalPatchSize, horizontalFlip: horizontalFlip, seed: seed,
                  fashionMNISTDirectory: fashionMNISTDirectory)
    }

    /// Throws when an option is out of range.
    func validate() throws(DatasetError) {
        guard channels == 1 || channels == 3 else {
            throw .invalidOption(reason: "channels is \(channels); use 1 (grey) or 3 (RGB)")
        }
        guard imageSize.height >= 1, imageSize.width >= 1, imageSize.height * imageSize.width <= 1 << 24 else {
            throw .invalidOption(reason: "image size \(imageSize) must be positive and at most 2^24 pixels")
        }
        guard temporalPatchSize >= 1 else {
            throw .invalidOption(reason: "temporal patch size is \(temporalPatchSize); it must be at least 1")
        }
        if let frames {
            guard frames >= 1, (frames - 1) % temporalPatchSize == 0, frames <= 4096 else {
                throw .invalidOption(reason: "\(frames) frames; C-ViViT takes 1 + k * \(temporalPatchSize) frames "
                    + "(the temporal patch size), e.g. \(1 + temporalPatchSize * max(1, (max(frames, 1) - 1) / temporalPatchSize))")
            }
        }
    }
}

/// Opens `spec` for `split`: examples shaped by `options`.
///
/// - Throws: `DatasetError` when the folder, manifest or Fashion-MNIST files are missing,
///   empty or damaged, or an option is out of range.
public func openDataset(_ spec: DatasetSpec, options: DatasetOptions, split: DatasetSplit) throws -> any ExampleSource {
    try options.validate()
    switch spec {
    case .folder(let path):
        return try FolderDataset(folder: path, options: options)
    case .manifest(let path):
        return try FolderDataset(manifest: path, options: options)
    case .fashionMNIST:
        return FashionMNISTImages(data: try FashionMNISTData.load(directory: options.fashionMNISTDirectory, split: split),
                                  options: options)
    case .fashionMNISTVideo:
        guard options.frames != nil else {
            throw DatasetError.invalidOption(reason: "fashion-mnist-video needs a frame count (1 + k * \(options.temporalPatchSize))")
        }
        return FashionMNISTClips(data: try FashionMNISTData.load(directory: options.fashionMNISTDirectory, split: split),
                                 options: options)
    }
}
