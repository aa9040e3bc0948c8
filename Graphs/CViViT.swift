import TensorGraph

/// phenaki-pytorch's `CViViT` (cvivit.py) without the quantizer and the GAN/VGG parts: the
/// encoder half (patch embeddings, spatial and causal temporal transformers) and the decoder
/// half (temporal and spatial transformers, back to pixels).
///
/// Parameter names are the `state_dict` keys:
/// - `to_patch_emb_first_frame.{1,3}.{weight,bias}` (`nn.LayerNorm`), `.2.{weight,bias}` (`nn.Linear`),
///   and the same under `to_patch_emb` (slot 0 is the `Rearrange`);
/// - `spatial_rel_pos_bias.net.*` (`ContinuousPositionBias` over the (h, w) patch grid);
/// - `enc_spatial_transformer.*`, `enc_temporal_transformer.*`, `dec_temporal_transformer.*`,
///   `dec_spatial_transformer.*` (`Transformer`);
/// - `to_pixels_first_frame.0.{weight,bias}`, `to_pixels.0.{weight,bias}` (`nn.Linear`).
///
/// Videos are [b, c, f, H, W] with f = 1 + temporalPatchSize·k; tokens are [b, t, h, w, dim] with
/// t = 1 + k, h = H / patchHeight, w = W / patchWidth.
public struct CViViT {
    public let dim: Int
    public let imageSize: (height: Int, width: Int)
    public let patchSize: (height: Int, width: Int)
    public let temporalPatchSize: Int
    public let spatialDepth: Int
    public let temporalDepth: Int
    public let dimHead: Int
    public let heads: Int
    public let channels: Int

    public init(dim: Int, imageSize: (height: Int, width: Int), patchSize: (height: Int, width: Int),
                temporalPatchSize: Int, spatialDepth: Int, temporalDepth: Int, dimHead: Int = 64, heads: Int = 8,
                channels: Int = 3) {
        precondition(imageSize.height % patchSize.height == 0 && imageSize.width % patchSize.width == 0,
                     "CViViT: image size must be divisible by the patch size")
        self.dim = dim
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.temporalPatchSize = temporalPatchSize
        self.spatialDepth = spatialDepth
        self.temporalDepth = temporalDepth
        self.dimHead = dimHead
        self.heads = heads
        self.channels = channels
    }

    /// The patch grid (h, w).
    public var patchHeightWidth: (Int, Int) { (imageSize.height / patchSize.height, imageSize.width / patchSize.width) }

    var spatialTransformer: Transformer {
        Transformer(dim: dim, depth: spatialDepth, causal: false, dimHead: dimHead, heads: heads, peg: false)
    }

    var temporalTransformer: Transformer {
        Transformer(dim: dim, depth: temporalDepth, causal: true, dimHead: dimHead, heads: heads, peg: true,
                    pegCausal: true)
    }

    var spatialPositionBias: ContinuousPositionBias { ContinuousPositionBias(dim: dim, heads: heads) }

    /// `video` [b, c, f, H, W] → pre-quantizer tokens [b, t, h, w, dim], as `CViViT.forward`
    /// builds the tokens and calls `encode`.
    public func encodeTokens(video: Tensor) -> Tensor {
        let t = video.tracer
        precondition(video.rank == 5 && video.shape[1] == channels, "CViViT: video must be [b, \(channels), f, H, W]")
        precondition(video.shape[3] == imageSize.height && video.shape[4] == imageSize.width, "CViViT: wrong image size")
        let frames = video.shape[2]
        precondition(frames >= 1 && (frames - 1) % temporalPatchSize == 0,
                     "CViViT: frames minus one must be divisible by the temporal patch size")
        let first = video.slice(axis: 2, 0..<1)
        var pieces = [t.scope("to_patch_emb_first_frame") { patchEmbedding(first, temporalPatch: 1) }]
        if frames > 1 {
            let rest = video.slice(axis: 2, 1..<frames)
            pieces.append(t.scope("to_patch_emb") { patchEmbedding(rest, temporalPatch: temporalPatchSize) })
        }
        let tokens = pieces.count == 1 ? pieces[0] : concat(pieces, axis: 1)
        return encode(tokens)
    }

    /// `CViViT.encode`: tokens [b, t, h, w, d] through the spatial transformer (with the
    /// continuous position bias) and the causal temporal transformer.
    public func encode(_ tokens: Tensor) -> Tensor {
        let t = tokens.tracer
        let videoShape = Array(tokens.shape.dropLast())
        let (b, frames, h, w) = (videoShape[0], videoShape[1], videoShape[2], videoShape[3])
        let bias = t.scope("spatial_rel_pos_bias") { spatialPositionBias(t, dimensions: [h, w]) }
        var x = tokens.reshape([b * frames, h * w, dim])
        x = t.scope("enc_spatial_transformer") { spatialTransformer(x, videoShape: videoShape, attentionBias: bias) }
        x = x.reshape([b, frames, h, w, dim]).permute([0, 2, 3, 1, 4]).reshape([b * h * w, frames, dim])
        // As phenaki-pytorch: the temporal transformer gets video_shape (b, t, h, w), so its PEG
        // reads the ((b h w), t, d) buffer as if it were (b, t, h, w, d).
        x = t.scope("enc_temporal_transformer") { temporalTransformer(x, videoShape: videoShape) }
        return x.reshape([b, h, w, frames, dim]).permute([0, 3, 1, 2, 4])
    }

    /// `CViViT.decode`: (quantized) tokens [b, t, h, w, d] → video pixels [b, c, f, H, W],
    /// f = 1 + temporalPatchSize·(t − 1).
    public func decodeTokens(_ tokens: Tensor) -> Tensor {
        let t = tokens.tracer
        precondition(tokens.rank == 5 && tokens.shape[4] == dim, "CViViT: tokens must be [b, t, h, w, \(dim)]")
        let videoShape = Array(tokens.shape.dropLast())
        let (b, frames, h, w) = (videoShape[0], videoShape[1], videoShape[2], videoShape[3])
        var x = tokens.permute([0, 2, 3, 1, 4]).reshape([b * h * w, frames, dim])
        x = t.scope("dec_temporal_transformer") { temporalTransformer(x, videoShape: videoShape) }
        x = x.reshape([b, h, w, frames, dim]).permute([0, 3, 1, 2, 4]).reshape([b * frames, h * w, dim])
        let bias = t.scope("spatial_rel_pos_bias") { spatialPositionBias(t, dimensions: [h, w]) }
        x = t.scope("dec_spatial_transformer") { spatialTransformer(x, videoShape: videoShape, attentionBias: bias) }
        x = x.reshape([b, frames, h, w, dim])
        var pieces = [t.scope("to_pixels_first_frame") { toPixels(x.slice(axis: 1, 0..<1), temporalPatch: 1) }]
        if frames > 1 {
            pieces.append(t.scope("to_pixels") {
                toPixels(x.slice(axis: 1, 1..<frames), temporalPatch: temporalPatchSize)
            })
        }
        return pieces.count == 1 ? pieces[0] : concat(pieces, axis: 2)
    }

    /// `Rearrange('b c (t pt) (h p1) (w p2) -> b t h w (c pt p1 p2)')`, `nn.LayerNorm` (`1`),
    /// `nn.Linear` (`2`), `nn.LayerNorm` (`3`).
    func patchEmbedding(_ video: Tensor, temporalPatch pt: Int) -> Tensor {
        let (b, c, f) = (video.shape[0], video.shape[1], video.shape[2])
        let (p1, p2) = patchSize
        let (h, w) = patchHeightWidth
        let frames = f / pt
        let patchDim = c * pt * p1 * p2
        let patches = video.reshape([b, c, frames, pt, h, p1, w, p2])
            .permute([0, 2, 4, 6, 1, 3, 5, 7])
            .reshape([b, frames, h, w, patchDim])
        var x = LayerNorm(patchDim).named("1")(patches)
        x = Linear(patchDim, dim).named("2")(x)
        return LayerNorm(dim).named("3")(x)
    }

    /// `nn.Linear` (`0`), then `Rearrange('b t h w (c pt p1 p2) -> b c (t pt) (h p1) (w p2)')`.
    func toPixels(_ tokens: Tensor, temporalPatch pt: Int) -> Tensor {
        let (b, frames, h, w) = (tokens.shape[0], tokens.shape[1], tokens.shape[2], tokens.shape[3])
        let (p1, p2) = patchSize
        let y = Linear(dim, channels * pt * p1 * p2).named("0")(tokens)
        return y.reshape([b, frames, h, w, channels, pt, p1, p2])
            .permute([0, 4, 1, 5, 2, 6, 3, 7])
            .reshape([b, channels, frames * pt, h * p1, w * p2])
    }
}

// MARK: Quantizer and CViViT.forward

extension CViViT {
    /// The quantizer `CViViT.__init__` builds (`lookup_free_quantization=True`, no extra kwargs):
    /// `LFQ(dim: dim, codebook_size: codebookSize)`, parameters under `vq.` when used through
    /// `reconstruct` / `codebookIds` / `decodeFromCodebookIndices`.
    public func quantizer(codebookSize: Int, training: Bool = true) -> LFQ {
        LFQ(dim: dim, codebookSize: codebookSize, training: training)
    }

    /// `CViViT.forward(video)` with the LFQ quantizer: see `reconstruct(video:quantizer:frameMask:)`.
    public func reconstruct(video: Tensor, quantizer: LFQ) -> (recon: Tensor, reconLoss: Tensor, auxLoss: Tensor) {
        reconstruct(video: video, quantizer: .lfq(quantizer))
    }

    /// `CViViT.forward(video, mask=frameMask)` without VGG or GAN (as with `use_vgg_and_gan=False`):
    /// encode, quantize with `quantizer` (scope `vq`), decode. Returns the reconstruction,
    /// `F.mse_loss(video, recon)` and the quantizer's auxiliary loss (which phenaki-pytorch 0.5.0
    /// only adds to the loss in the VGG/GAN path).
    ///
    /// - `video` [b, c, f, H, W], or an image [b, c, H, W] (image mode: a one-frame video, the
    ///   reconstruction returned as [b, c, H, W]; phenaki-pytorch allows no mask then).
    /// - `frameMask` (bool [b, f], phenaki-pytorch's `mask` / `video_frame_mask`): the recon loss
    ///   is the mean over the kept frames, and `VectorQuantize` gets the token mask of
    ///   `videoTokenMask` (LFQ and FSQ ignore it, as phenaki-pytorch's LFQ does). phenaki-pytorch
    ///   asserts that each row keeps 1 + k·temporal_patch_size frames; the graph cannot check
    ///   run-time values, so that is the caller's to ensure.
    public func reconstruct(video: Tensor, quantizer: CViViTQuantizer, frameMask: Tensor? = nil)
        -> (recon: Tensor, reconLoss: Tensor, auxLoss: Tensor) {
        precondition(quantizer.dim == dim, "CViViT: the quantizer must take dim \(dim)")
        let isImage = video.rank == 4
        precondition(!(isImage && frameMask != nil), "CViViT: images take no frame mask")
        let video5 = isImage ? video.unsqueeze(2) : video
        let t = video.tracer
        let tokens = encodeTokens(video: video5)
        let shape = tokens.shape
        let packed = tokens.reshape([shape[0], -1, dim])
        let tokenMask = frameMask.map { videoTokenMask($0) }
        let (quantized, _, auxLoss) = t.scope("vq") { quantizer(packed, mask: tokenMask) }
        let recon = decodeTokens(quantized.reshape(shape))
        let squared = (video5 - recon).square()
        let reconLoss: Tensor
        if let frameMask {
            let (b, c, f, h, w) = (video5.shape[0], video5.shape[1], video5.shape[2], video5.shape[3], video5.shape[4])
            precondition(frameMask.dtype == .bool && frameMask.shape == [b, f], "CViViT: the frame mask must be bool [\(b), \(f)]")
            let kept = frameMask.cast(.float32).reshape([b, 1, f, 1, 1])
            reconLoss = (squared * kept).sum() / (kept.sum() * Double(c * h * w))
        } else {
            reconLoss = squared.mean()
        }
        return (isImage ? recon.reshape(video.shape) : recon, reconLoss, auxLoss)
    }

    /// `CViViT.calculate_video_token_mask`: bool [b, f] frame mask → bool [b, t·h·w] token mask.
    /// A token frame is kept when its first frame (token frame 0) or any of its
    /// temporal_patch_size frames is kept.
    public func videoTokenMask(_ frameMask: Tensor) -> Tensor {
        precondition(frameMask.rank == 2 && frameMask.dtype == .bool, "CViViT: the frame mask must be bool [b, f]")
        let (b, f) = (frameMask.shape[0], frameMask.shape[1])
        precondition(f >= 1 && (f - 1) % temporalPatchSize == 0,
                     "CViViT: frames minus one must be divisible by the temporal patch size")
        let (h, w) = patchHeightWidth
        let asFloat = frameMask.cast(.float32)
        var pieces = [asFloat.slice(axis: 1, 0..<1)]
        if f > 1 {
            let rest = asFloat.slice(axis: 1, 1..<f).reshape([b, (f - 1) / temporalPatchSize, temporalPatchSize])
            pieces.append(rest.max(axes: [2]))
        }
        let perFrame = pieces.count == 1 ? pieces[0] : concat(pieces, axis: 1)
        let tokenFrames = perFrame.shape[1]
        return (perFrame.reshape([b, tokenFrames, 1]).expand([b, tokenFrames, h * w]).reshape([b, tokenFrames * h * w]) .> 0)
    }

    /// `CViViT.forward(video, return_only_codebook_ids=True)` with LFQ: int32 ids [b, t, h, w].
    public func codebookIds(video: Tensor, quantizer: LFQ) -> Tensor {
        codebookIds(video: video, quantizer: .lfq(quantizer))
    }

    /// `CViViT.forward(video, return_only_codebook_ids=True)`: int32 ids [b, t, h, w] of a video
    /// [b, c, f, H, W] or an image [b, c, H, W] (t = 1). phenaki-pytorch computes the ids of every
    /// token whatever the mask, so none is taken.
    public func codebookIds(video: Tensor, quantizer: CViViTQuantizer) -> Tensor {
        precondition(quantizer.dim == dim, "CViViT: the quantizer must take dim \(dim)")
        let t = video.tracer
        let tokens = encodeTokens(video: video.rank == 4 ? video.unsqueeze(2) : video)
        let shape = tokens.shape
        let packed = tokens.reshape([shape[0], -1, dim])
        let (_, indices, _) = t.scope("vq") { quantizer(packed) }
        return indices.reshape(Array(shape.dropLast()))
    }

    /// `CViViT.decode_from_codebook_indices` with LFQ: see `decodeFromCodebookIndices(_:quantizer:)`.
    public func decodeFromCodebookIndices(_ indices: Tensor, quantizer: LFQ) -> Tensor {
        decodeFromCodebookIndices(indices, quantizer: .lfq(quantizer))
    }

    /// `CViViT.decode_from_codebook_indices(indices)` for int32 ids [b, t·h·w] (what phenaki-pytorch
    /// supports with LFQ: its `indices_to_codes` moves the code axis to position 1 for ids of
    /// rank ≥ 3, which `decode` then rejects). Ids [b, t, h, w] are accepted too and read as
    /// [b, t·h·w]. The codes are `vq.indices_to_codes(ids)` (LFQ, FSQ) or `vq.codebook[ids]`
    /// (VectorQuantize). Returns pixels [b, c, f, H, W].
    public func decodeFromCodebookIndices(_ indices: Tensor, quantizer: CViViTQuantizer) -> Tensor {
        precondition(quantizer.dim == dim, "CViViT: the quantizer must take dim \(dim)")
        precondition(indices.rank == 2 || indices.rank == 4, "CViViT: ids must be [b, t·h·w] or [b, t, h, w]")
        let t = indices.tracer
        let (h, w) = patchHeightWidth
        let b = indices.shape[0]
        let flat = indices.reshape([b, -1])
        precondition(flat.shape[1] % (h * w) == 0, "CViViT: ids must cover whole \(h)×\(w) frames")
        let codes = t.scope("vq") { quantizer.indicesToCodes(flat) }
        return decodeTokens(codes.reshape([b, flat.shape[1] / (h * w), h, w, dim]))
    }
}
