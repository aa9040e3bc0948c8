/// Named configs, written in Swift: `phenaki config show --variant NAME` prints them as JSON.
extension PhenakiConfig {
    /// The variant names `variant(named:)` accepts, smallest first.
    public static let variantNames = ["tiny", "demo", "small", "paper"]

    /// The variant called `name`.
    /// - Throws: `ConfigError.unknownVariant` listing the valid names.
    public static func variant(named name: String) throws -> PhenakiConfig {
        switch name {
        case "tiny": return tiny
        case "demo": return demo
        case "small": return small
        case "paper": return paper
        default: throw ConfigError.unknownVariant(name: name, valid: variantNames)
        }
    }

    /// For tests: every size a few units, 16 × 16 frames of 2 × 2 patches of 8, a 256-entry
    /// lookup-free codebook, sequences up to 16 tokens (7 frames), precomputed 32-wide text
    /// embeddings, 4 sampling steps.
    public static var tiny: PhenakiConfig {
        PhenakiConfig(
            cvivit: CViViTConfig(dim: 32, codebookSize: 256, imageSize: 16, patchSize: 8, temporalPatchSize: 2,
                                 spatialDepth: 1, temporalDepth: 1, dimHead: 8, heads: 2, useVGGAndGAN: false),
            maskgit: MaskGitConfig(dim: 32, numTokens: 256, maxSeqLen: 16, depth: 1, dimContext: 32, heads: 2, dimHead: 8),
            phenaki: PhenakiSettings(textEncoder: .precomputed, textEmbedDim: 32, steps: 4, maxTextLen: 16))
    }

    /// The model of `phenaki demo`, trained on two cores in well under an hour on Fashion-MNIST
    /// clips: 32 × 32 grey frames in 4 × 4 patches (64 tokens a frame), clips of 5 frames
    /// (3 token frames, 192 tokens), an FSQ codebook of 8·5·5·5 = 1000 codes, MiniLM text
    /// embeddings, a 3-layer MaskGit 128 wide, 12 sampling steps.
    public static var demo: PhenakiConfig {
        PhenakiConfig(
            cvivit: CViViTConfig(dim: 64, codebookSize: 1000, imageSize: 32, patchSize: 4, temporalPatchSize: 2,
                                 spatialDepth: 2, temporalDepth: 2, dimHead: 16, heads: 4, channels: 1,
                                 useVGGAndGAN: false, lookupFreeQuantization: false, fsqLevels: [8, 5, 5, 5]),
            maskgit: MaskGitConfig(dim: 128, numTokens: 1000, maxSeqLen: 192, depth: 3, dimContext: 384,
                                   heads: 4, dimHead: 32),
            phenaki: PhenakiSettings(textEncoder: .minilm, steps: 12, maxTextLen: 16))
    }

    /// A model a laptop trains: 64 × 64 frames in 8 × 8 patches (64 tokens a frame), a 4096-entry
    /// codebook, sequences up to 1024 tokens (31 frames), MiniLM text embeddings (384 wide).
    public static var small: PhenakiConfig {
        PhenakiConfig(
            cvivit: CViViTConfig(dim: 128, codebookSize: 4096, imageSize: 64, patchSize: 8, temporalPatchSize: 2,
                                 spatialDepth: 2, temporalDepth: 2, dimHead: 32, heads: 4, useVGGAndGAN: false),
            maskgit: MaskGitConfig(dim: 256, numTokens: 4096, maxSeqLen: 1024, depth: 4, dimContext: 384,
                                   heads: 8, dimHead: 32),
            phenaki: PhenakiSettings(textEncoder: .minilm))
    }

    /// phenaki-pytorch's README model: C-ViViT dim 512, 65536 codes, 256 × 256 frames in
    /// 32 × 32 patches, temporal patch 2, 4 + 4 layers of 8 heads × 64; MaskGit dim 512,
    /// depth 6, 1024 positions, cross attention on T5-base (768); a token critic of the
    /// same shape.
    public static var paper: PhenakiConfig {
        PhenakiConfig(
            cvivit: CViViTConfig(dim: 512, codebookSize: 65536, imageSize: 256, patchSize: 32, temporalPatchSize: 2,
                                 spatialDepth: 4, temporalDepth: 4, dimHead: 64, heads: 8),
            maskgit: MaskGitConfig(dim: 512, numTokens: 65536, maxSeqLen: 1024, depth: 6, dimContext: 768),
            critic: CriticConfig(dim: 512, numTokens: 65536, maxSeqLen: 1024, depth: 6, hasCrossAttn: true, dimContext: 768),
            phenaki: PhenakiSettings(textEncoder: .t5))
    }
}
