import PhenakiGraphs

/// The `cvivit` section: phenaki-pytorch's `CViViT(...)` keyword arguments.
///
/// Keys without a default in phenaki-pytorch (`dim`, `codebook_size`, `image_size`,
/// `patch_size`, `temporal_patch_size`, `spatial_depth`, `temporal_depth`) are required;
/// the others take phenaki-pytorch 0.5.0's defaults. `vgg` and
/// `lookup_free_quantization_kwargs` are not configurable.
///
/// The quantizer: `fsq_levels` (this package's extension, e.g. `[8, 5, 5, 5]`) selects
/// vector-quantize-pytorch's `FSQ(levels, dim)` when present, whatever
/// `lookup_free_quantization` says, and `codebook_size` must then equal the product of the
/// levels; otherwise `lookup_free_quantization` true (the default) selects `LFQ` (a power-of-two
/// `codebook_size`) and false the cosine-similarity `VectorQuantize`, as in phenaki-pytorch.
public struct CViViTConfig: Hashable, Sendable, ConfigValue {
    public var dim: Int
    public var codebookSize: Int
    /// `image_size`: an integer (square) or `[height, width]`.
    public var imageSize: SpatialSize
    /// `patch_size`: an integer (square) or `[height, width]`.
    public var patchSize: SpatialSize
    public var temporalPatchSize: Int
    public var spatialDepth: Int
    public var temporalDepth: Int
    public var discrBaseDim: Int
    public var dimHead: Int
    public var heads: Int
    public var channels: Int
    public var useVGGAndGAN: Bool
    /// `discr_attn_res_layers`: the discriminator resolutions with attention.
    public var discrAttnResLayers: [Int]
    public var useHingeLoss: Bool
    public var attnDropout: Double
    public var ffDropout: Double
    public var lookupFreeQuantization: Bool
    /// `fsq_levels`: the levels of an FSQ quantizer (each at least 2); nil: LFQ or VQ.
    public var fsqLevels: [Int]?

    public init(dim: Int, codebookSize: Int, imageSize: SpatialSize, patchSize: SpatialSize,
                temporalPatchSize: Int, spatialDepth: Int, temporalDepth: Int, discrBaseDim: Int = 16,
                dimHead: Int = 64, heads: Int = 8, channels: Int = 3, useVGGAndGAN: Bool = true,
                discrAttnResLayers: [Int] = [16], useHingeLoss: Bool = true, attnDropout: Double = 0,
                ffDropout: Double = 0, lookupFreeQuantization: Bool = true, fsqLevels: [Int]? = nil) {
        self.dim = dim
        self.codebookSize = codebookSize
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.temporalPatchSize = temporalPatchSize
        self.spatialDepth = spatialDepth
        self.temporalDepth = temporalDepth
        self.discrBaseDim = discrBaseDim
        self.dimHead = dimHead
        self.heads = heads
        self.channels = channels
        self.useVGGAndGAN = useVGGAndGAN
        self.discrAttnResLayers = discrAttnResLayers
        self.useHingeLoss = useHingeLoss
        self.attnDropout = attnDropout
        self.ffDropout = ffDropout
        self.lookupFreeQuantization = lookupFreeQuantization
        self.fsqLevels = fsqLevels
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dim, channels, heads
        case codebookSize = "codebook_size"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case temporalPatchSize = "temporal_patch_size"
        case spatialDepth = "spatial_depth"
        case temporalDepth = "temporal_depth"
        case discrBaseDim = "discr_base_dim"
        case dimHead = "dim_head"
        case useVGGAndGAN = "use_vgg_and_gan"
        case discrAttnResLayers = "discr_attn_res_layers"
        case useHingeLoss = "use_hinge_loss"
        case attnDropout = "attn_dropout"
        case ffDropout = "ff_dropout"
        case lookupFreeQuantization = "lookup_free_quantization"
        case fsqLevels = "fsq_levels"
    }

    public static var expectation: String { "a JSON object" }

    public init(from decoder: Decoder) throws {
        let c = try ConfigSection<CodingKeys>(decoder)
        self.init(
            dim: try c.required(.dim), codebookSize: try c.required(.codebookSize),
            imageSize: try c.required(.imageSize), patchSize: try c.required(.patchSize),
            temporalPatchSize: try c.required(.temporalPatchSize), spatialDepth: try c.required(.spatialDepth),
            temporalDepth: try c.required(.temporalDepth), discrBaseDim: try c.value(.discrBaseDim, default: 16),
            dimHead: try c.value(.dimHead, default: 64), heads: try c.value(.heads, default: 8),
            channels: try c.value(.channels, default: 3), useVGGAndGAN: try c.value(.useVGGAndGAN, default: true),
            discrAttnResLayers: try c.intList(.discrAttnResLayers, default: [16]),
            useHingeLoss: try c.value(.useHingeLoss, default: true),
            attnDropout: try c.value(.attnDropout, default: 0), ffDropout: try c.value(.ffDropout, default: 0),
            lookupFreeQuantization: try c.value(.lookupFreeQuantization, default: true),
            fsqLevels: c.contains(.fsqLevels) ? try c.intList(.fsqLevels, default: []) : nil)
    }

    // MARK: Derived sizes (phenaki-pytorch's `image_num_tokens`, `num_tokens_per_frames`)

    /// Patches per frame along height and width.
    public var patchGrid: SpatialSize {
        SpatialSize(height: imageSize.height / patchSize.height, width: imageSize.width / patchSize.width)
    }

    /// Tokens one (token) frame takes: `(h / patch_h) · (w / patch_w)`.
    public var tokensPerFrame: Int { patchGrid.height * patchGrid.width }

    /// Token frames of a video of `frames` frames: the first frame alone, then one per
    /// `temporal_patch_size` frames, `1 + (frames - 1) / temporal_patch_size`.
    public func tokenFrames(frames: Int) -> Int { 1 + (frames - 1) / temporalPatchSize }

    /// Codebook ids C-ViViT makes of a video of `frames` frames.
    public func tokenCount(frames: Int) -> Int { tokenFrames(frames: frames) * tokensPerFrame }

    /// The video patch shape `[token frames, patches high, patches wide]` (`get_video_patch_shape`).
    public func videoPatchShape(frames: Int) -> [Int] { [tokenFrames(frames: frames), patchGrid.height, patchGrid.width] }

    /// The most frames whose tokens fit in `maxSeqLen` (0 when not even the first frame fits).
    public func maxFrames(maxSeqLen: Int) -> Int {
        guard tokensPerFrame > 0 else { return 0 }
        let tokenFrames = maxSeqLen / tokensPerFrame
        return tokenFrames < 1 ? 0 : 1 + (tokenFrames - 1) * temporalPatchSize
    }

    /// Checks the section on its own: positive sizes, whole patches, a power-of-two codebook
    /// for lookup-free quantization, FSQ levels of at least 2 whose product is the codebook size.
    public func validate() throws {
        try requireAtLeast(1, in: "cvivit", [
            (CodingKeys.dim, dim), (.codebookSize, codebookSize), (.temporalPatchSize, temporalPatchSize),
            (.dimHead, dimHead), (.heads, heads), (.channels, channels), (.discrBaseDim, discrBaseDim),
        ])
        try requireAtLeast(0, in: "cvivit", [(CodingKeys.spatialDepth, spatialDepth), (.temporalDepth, temporalDepth)])
        for (key, size) in [(CodingKeys.imageSize, imageSize), (.patchSize, patchSize)]
        where size.height < 1 || size.width < 1 {
            throw ConfigError.invalidValue(section: "cvivit", key: key.rawValue, message: "is \(size); both sides must be at least 1")
        }
        guard imageSize.height % patchSize.height == 0, imageSize.width % patchSize.width == 0 else {
            throw ConfigError.imageNotDivisible(imageSize: imageSize, patchSize: patchSize)
        }
        if useVGGAndGAN, let problem = CViViTConfig.discriminatorSizeProblem(self) {
            throw ConfigError.invalidValue(
                section: "cvivit", key: CodingKeys.imageSize.rawValue,
                message: "is \(imageSize), which the GAN discriminator cannot take: \(problem); "
                    + "change image_size or set use_vgg_and_gan to false")
        }
        if let levels = fsqLevels {
            if let bad = levels.first(where: { $0 < 2 }) {
                throw ConfigError.invalidValue(section: "cvivit", key: CodingKeys.fsqLevels.rawValue,
                                               message: "is \(levels); every level must be at least 2, got \(bad)")
            }
            if levels.isEmpty {
                throw ConfigError.invalidValue(section: "cvivit", key: CodingKeys.fsqLevels.rawValue,
                                               message: "is empty; give at least one level (e.g. [8, 5, 5, 5])")
            }
            let product = levels.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            if product != codebookSize {
                throw ConfigError.fsqLevelsMismatch(levels: levels, product: product, codebookSize: codebookSize)
            }
        } else if lookupFreeQuantization, codebookSize & (codebookSize - 1) != 0 {
            throw ConfigError.codebookNotPowerOfTwo(codebookSize: codebookSize)
        }
        try requireProbabilities(in: "cvivit", [(CodingKeys.attnDropout, attnDropout), (.ffDropout, ffDropout)])
    }
}

extension CViViTConfig {
    /// Why the discriminator `CViViT(...)` builds with `use_vgg_and_gan` cannot take this image
    /// size (nil when it can).
    static func discriminatorSizeProblem(_ c: CViViTConfig) -> String? {
        Discriminator(dim: c.discrBaseDim, imageSize: (c.imageSize.height, c.imageSize.width), channels: c.channels,
                      attnResLayers: c.discrAttnResLayers).sizeProblem
    }
}
