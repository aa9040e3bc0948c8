import ArgumentParser
import Foundation
import Phenaki

/// `phenaki cvivit encode|decode|reconstruct`: C-ViViT on weights exported from phenaki-pytorch.
struct CViViTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvivit",
        abstract: "Run a C-ViViT exported from phenaki-pytorch on .npy videos and codebook ids.",
        discussion: """
            --weights is CViViT(...).state_dict() in safetensors (vgg.* and discr.* may be present or \
            left out; the int64 vq.mask buffer may be present). \(InteropHelp.evalMode)
            """,
        subcommands: [CViViTEncodeCommand.self, CViViTDecodeCommand.self, CViViTReconstructCommand.self]
    )
}

/// `phenaki cvivit encode`: video → codebook ids.
struct CViViTEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Video .npy → codebook ids .npy (cvivit(video, return_only_codebook_ids=True)).",
        discussion: """
            Input: float32 .npy video [batch, channels, frames, height, width] (frames − 1 a multiple of \
            temporal_patch_size) or image [batch, channels, height, width] (one frame). Output: int32 ids \
            [batch, frames', height', width'] (frames' = 1 + (frames − 1) / temporal_patch_size; an image gives \
            frames' = 1). \(InteropHelp.evalMode)
            """
    )

    @OptionGroup var options: InteropOptions

    func run() throws {
        do {
            let model = try CViViTInterop(config: try options.config(), weightsPath: options.weights,
                                          threads: options.threads)
            try options.write(try model.encode(try options.readInput(), name: options.input))
        } catch {
            throw fail(error)
        }
    }
}

/// `phenaki cvivit decode`: codebook ids → video.
struct CViViTDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Codebook ids .npy → video .npy (cvivit.decode_from_codebook_indices).",
        discussion: """
            \(InteropHelp.idsIn) Each id in 0 ..< codebook_size. Output: float32 video [batch, channels, \
            1 + temporal_patch_size · (frames' − 1), height, width], 5-D even for one token frame.
            """
    )

    @OptionGroup var options: InteropOptions

    func run() throws {
        do {
            let model = try CViViTInterop(config: try options.config(), weightsPath: options.weights,
                                          threads: options.threads)
            try options.write(try model.decode(try options.readInput(), name: options.input))
        } catch {
            throw fail(error)
        }
    }
}

/// `phenaki cvivit reconstruct`: video → reconstruction, losses on standard output.
struct CViViTReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Video .npy → reconstructed video .npy; prints {\"aux_loss\": ..., \"recon_loss\": ...}.",
        discussion: """
            Input as for encode; the output has the input's shape (an image comes back 4-D). The JSON line \
            holds recon_loss = F.mse_loss(video, recon) and aux_loss, the quantizer's auxiliary loss, which is \
            0 in eval mode (vector-quantize-pytorch's LFQ computes entropy and commitment losses only while \
            training; phenaki-pytorch 0.5.0 adds neither to the C-ViViT loss without VGG/GAN). \
            \(InteropHelp.evalMode)
            """
    )

    @OptionGroup var options: InteropOptions

    func run() throws {
        do {
            let model = try CViViTInterop(config: try options.config(), weightsPath: options.weights,
                                          threads: options.threads)
            let result = try model.reconstruct(try options.readInput(), name: options.input)
            try options.write(result.recon)
            let losses = try JSONSerialization.data(
                withJSONObject: ["recon_loss": result.reconLoss, "aux_loss": result.auxLoss], options: [.sortedKeys])
            print(String(decoding: losses, as: UTF8.self))
        } catch {
            throw fail(error)
        }
    }
}
