import TensorGraph

/// phenaki-pytorch's `Discriminator` (cvivit.py), the C-ViViT GAN critic on single frames
/// [b, channels, H, W] → logits [b].
///
/// With `n = floor(log2(min(H, W))) − 2` it stacks `n + 1` `DiscriminatorBlock`s of widths
/// `min(4·dim·2^i, maxDim)`; every block but the last halves the resolution. A block whose input
/// resolution (tracked as the smaller side, halved per block) is in `attnResLayers` is followed by
/// a residual `Attention(out_chan)` (64-wide heads, 8 heads) over the flattened pixels. Then
/// `to_logits`: 3×3 conv, LeakyReLU(0.1), flatten (channel-major), `Linear(latent, 1)`.
///
/// Parameter names are the `state_dict` keys (`discr.` is added by the caller's scope):
/// `blocks.{i}.conv_res.*`, `blocks.{i}.net.{0,2}.*`, `blocks.{i}.downsample.1.*`,
/// `attn_blocks.{i}.{norm.gamma, to_q.weight, to_kv.weight, q_scale, k_scale, to_out.weight}`,
/// `to_logits.0.*`, `to_logits.3.*`. (The attention's `norm.beta` buffer, unused
/// `context_norm.*` and zero-size `null_kv` have no Swift counterpart.)
public struct Discriminator: Layer {
    /// `dim` (CViViT's `discr_base_dim`).
    public let dim: Int
    public let imageSize: (height: Int, width: Int)
    public let channels: Int
    /// Resolutions (of the smaller side) after whose block attention is applied.
    public let attnResLayers: [Int]
    public let maxDim: Int

    /// A discriminator as phenaki-pytorch builds it; `validate` says whether the size works.
    public init(dim: Int, imageSize: (height: Int, width: Int), channels: Int = 3, attnResLayers: [Int] = [16],
                maxDim: Int = 512) {
        self.dim = dim
        self.imageSize = imageSize
        self.channels = channels
        self.attnResLayers = attnResLayers
        self.maxDim = maxDim
    }

    /// `int(math.log2(min_image_resolution) - 2)`: the number of downsampling blocks.
    public var downsamplings: Int {
        let minSide = min(imageSize.height, imageSize.width)
        var log2 = 0
        while (1 << (log2 + 1)) <= minSide { log2 += 1 }
        return log2 - 2
    }

    /// Channel widths: the image channels, then one per block.
    public var layerDims: [Int] {
        [channels] + (0...downsamplings).map { min(dim * 4 * (1 << $0), maxDim) }
    }

    /// Why this discriminator cannot take its image size, or nil when it can: phenaki-pytorch
    /// needs at least one downsampling (min side ≥ 8) and both sides divisible by 2^n.
    public var sizeProblem: String? {
        let n = downsamplings
        if n < 1 { return "the discriminator needs images of at least 8×8, got \(imageSize.height)×\(imageSize.width)" }
        let factor = 1 << n
        if imageSize.height % factor != 0 || imageSize.width % factor != 0 {
            return "the discriminator halves the image \(n) times: both sides of \(imageSize.height)×\(imageSize.width) "
                + "must be multiples of \(factor)"
        }
        return nil
    }

    /// Logits [b] of images [b, channels, H, W].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(sizeProblem == nil, "Discriminator: \(sizeProblem ?? "")")
        precondition(x.rank == 4 && x.shape[1] == channels && x.shape[2] == imageSize.height
                     && x.shape[3] == imageSize.width,
                     "Discriminator: images must be [b, \(channels), \(imageSize.height), \(imageSize.width)]")
        let t = x.tracer
        let dims = layerDims
        var resolution = min(imageSize.height, imageSize.width)
        var h = x
        for i in 0..<(dims.count - 1) {
            let block = DiscriminatorBlock(inChannels: dims[i], filters: dims[i + 1], downsample: i != dims.count - 2)
            h = t.scope("blocks") { t.scope("\(i)") { block(h) } }
            if attnResLayers.contains(resolution) {
                // pack 'b c *' and 'b c n -> b n c': pixels become tokens of width out_chan.
                let (b, c, hh, ww) = (h.shape[0], h.shape[1], h.shape[2], h.shape[3])
                let tokens = h.reshape([b, c, hh * ww]).permute([0, 2, 1])
                let attended = t.scope("attn_blocks") { t.scope("\(i)") { Attention(dim: c)(tokens) } } + tokens
                h = attended.permute([0, 2, 1]).reshape([b, c, hh, ww])
            }
            resolution /= 2
        }
        let last = dims[dims.count - 1]
        return t.scope("to_logits") {
            let y = Conv2d(last, last, kernel: 3, padding: 1).named("0")(h).leakyRelu(0.1)
            let flat = y.reshape([y.shape[0], -1])
            return Linear(flat.shape[1], 1).named("3")(flat).reshape([y.shape[0]])
        }
    }
}

/// `DiscriminatorBlock(input_channels, filters, downsample)`: a 1×1 residual conv (`conv_res`,
/// stride 2 when downsampling), two 3×3 convs with LeakyReLU(0.1) (`net.0`, `net.2`), a
/// space-to-depth 2×2 rearrange and 1×1 conv (`downsample.1`), and `(x + res) / √2`.
struct DiscriminatorBlock: Layer {
    let inChannels: Int
    let filters: Int
    let downsample: Bool

    func callAsFunction(_ x: Tensor) -> Tensor {
        let res = Conv2d(inChannels, filters, kernel: 1, stride: downsample ? 2 : 1).named("conv_res")(x)
        var y = x.tracer.scope("net") {
            let a = Conv2d(inChannels, filters, kernel: 3, padding: 1).named("0")(x).leakyRelu(0.1)
            return Conv2d(filters, filters, kernel: 3, padding: 1).named("2")(a).leakyRelu(0.1)
        }
        if downsample {
            // 'b c (h p1) (w p2) -> b (c p1 p2) h w', p1 = p2 = 2
            let (b, c, h, w) = (y.shape[0], y.shape[1], y.shape[2] / 2, y.shape[3] / 2)
            let stacked = y.reshape([b, c, h, 2, w, 2]).permute([0, 1, 3, 5, 2, 4]).reshape([b, c * 4, h, w])
            y = x.tracer.scope("downsample") { Conv2d(filters * 4, filters, kernel: 1).named("1")(stacked) }
        }
        return (y + res) * (1 / 2.0.squareRoot())
    }
}
