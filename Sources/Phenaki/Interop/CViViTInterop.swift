import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// What `CViViTInterop.reconstruct` returns.
public struct CViViTReconstruction: Equatable, Sendable {
    /// The reconstruction, shaped like the input (an image comes back 4-D).
    public var recon: HostTensor
    /// `F.mse_loss(video, recon)`.
    public var reconLoss: Double
    /// The quantizer's auxiliary loss: 0 in eval mode (vector-quantize-pytorch's LFQ computes no
    /// entropy or commitment loss outside training).
    public var auxLoss: Double
}

/// phenaki-pytorch's `CViViT` in eval mode (`.eval()`, as it runs once trained), on weights from
/// its `state_dict` (without `vgg.*` / `discr.*`, or with them: they are ignored):
/// `encode` = `cvivit(video, return_only_codebook_ids=True)`, `decode` =
/// `decode_from_codebook_indices`, `reconstruct` = `cvivit(video, return_recons=True)` plus the
/// quantizer's aux loss.
///
/// The weights are read and checked once; each call traces and compiles a graph for its input
/// shape and runs it.
public struct CViViTInterop {
    /// The validated config the weights were checked against.
    public let config: PhenakiConfig
    /// Threads of each run (nil: one per core).
    public let threads: Int?
    let weights: InteropWeights

    /// - Parameters:
    ///   - tensors: the `state_dict` (F16/BF16 already float32; buffers such as LFQ's `vq.mask` are
    ///     checked by the `.phenaki` weight policy).
    ///   - source: names the weights in errors.
    /// - Throws: `ConfigError` (the config is validated), `WeightError.mismatches` listing every
    ///   tensor that does not fit.
    public init(config: PhenakiConfig, tensors: [String: HostTensor], source: String = "the weights",
                threads: Int? = nil) throws {
        try config.validate()
        self.config = config
        self.threads = threads
        weights = try InteropWeights(tensors: tensors, completeGraph: try Self.completeGraph(config.cvivit),
                                     source: source)
    }

    /// Reads the weights from the safetensors file at `weightsPath`.
    public init(config: PhenakiConfig, weightsPath: String, threads: Int? = nil) throws {
        try self.init(config: config, tensors: try InteropWeights.read(path: weightsPath), source: weightsPath,
                      threads: threads)
    }

    var model: CViViT { PhenakiModels.cvivitModel(config.cvivit) }

    var quantizer: CViViTQuantizer { interopQuantizer(config.cvivit) }

    /// Every parameter: the reconstruction of a video with a second token frame (`to_patch_emb`,
    /// `to_pixels`), which an image alone would not use.
    static func completeGraph(_ c: CViViTConfig) throws -> Graph {
        let model = PhenakiModels.cvivitModel(c)
        return try Tracer.trace { t in
            let video = t.input("video", PhenakiModels.videoShape(c, batch: 1, frames: 1 + c.temporalPatchSize))
            return ["recon": model.reconstruct(video: video, quantizer: interopQuantizer(c)).recon]
        }
    }

    /// Codebook ids int32 [b, frames', h', w'] of a float video [b, c, f, H, W] or image
    /// [b, c, H, W] (one token frame). `name` names the tensor in errors.
    public func encode(_ input: HostTensor, name: String = "the video") throws -> HostTensor {
        let (video, _) = try InteropInputs.video(input, name: name, config: config.cvivit)
        let (model, quantizer) = (model, quantizer)
        let graph = try Tracer.trace { t in
            ["ids": model.codebookIds(video: t.input("video", video.shape), quantizer: quantizer)]
        }
        return try runCompiled(graph, parameters: weights.parameters, inputs: ["video": video], threads: threads)["ids"]!
    }

    /// The video float32 [b, c, 1 + temporal_patch·(frames' − 1), H, W] of codebook ids
    /// [b, frames', h', w'] or [b, frames'·h'·w'], each below the quantizer's codebook size.
    public func decode(_ input: HostTensor, name: String = "the ids") throws -> HostTensor {
        let size = quantizer.codebookSize
        let (ids, _) = try InteropInputs.ids(input, name: name, config: config.cvivit, valid: 0...(size - 1),
                                             meaning: "the quantizer has \(size) codes")
        let (model, quantizer) = (model, quantizer)
        let graph = try Tracer.trace { t in
            ["video": model.decodeFromCodebookIndices(t.input("ids", ids.shape, .int32), quantizer: quantizer)]
        }
        return try runCompiled(graph, parameters: weights.parameters, inputs: ["ids": ids], threads: threads)["video"]!
    }

    /// Encode, quantize and decode a video or image; the reconstruction comes back in the input's
    /// shape, with the losses of `CViViT.forward` in eval mode.
    public func reconstruct(_ input: HostTensor, name: String = "the video") throws -> CViViTReconstruction {
        let (video, isImage) = try InteropInputs.video(input, name: name, config: config.cvivit)
        let (model, quantizer) = (model, quantizer)
        let graph = try Tracer.trace { t in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: t.input("video", video.shape), quantizer: quantizer)
            return ["recon": recon, "recon_loss": reconLoss, "aux_loss": auxLoss]
        }
        let out = try runCompiled(graph, parameters: weights.parameters, inputs: ["video": video], threads: threads)
        var recon = out["recon"]!
        if isImage { recon.shape = input.shape }
        return CViViTReconstruction(recon: recon, reconLoss: out["recon_loss"]!.scalars[0],
                                    auxLoss: out["aux_loss"]!.scalars[0])
    }
}
