import ArgumentParser
import Foundation
import GraphRuntime
import Phenaki

/// `phenaki make-video`: phenaki-pytorch's `make_video`, one scene per text, each primed with
/// the last frames of the scene before; writes the whole video and each scene.
struct MakeVideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-video",
        abstract: "Sample a video of several scenes, one per --text, each continuing the one before.",
        discussion: """
            Writes the whole video to --out and each scene beside it (NAME.scene1.gif, NAME.scene2.gif, ...), \
            then prints every path; --out may be given more than once (e.g. a .gif and an .mp4). --frames gives each scene's frame count: the first scene's includes its \
            first frame (1 + a multiple of temporal_patch_size), later scenes count new frames only (a \
            multiple of temporal_patch_size). --prime gives how many frames of each scene prime the next \
            (each 1 + a multiple of temporal_patch_size). One value applies to every scene. With a \
            precomputed text encoder, --text-embeds gives one row per scene (or one file per scene).
            """
    )

    @OptionGroup var generation: GenerationOptions

    @Option(help: ArgumentHelp("Frames per scene, one value for all or one per scene (default: 17 for the first, 14 after).",
                               valueName: "n[,n...]"))
    var frames: String?

    @Option(help: ArgumentHelp("Priming frames taken from each scene for the next, one value or one per transition.",
                               valueName: "n[,n...]"))
    var prime = "5"

    @Option(help: ArgumentHelp("Output file of the whole video; the extension picks the format: .gif, .mp4 or .png. "
                               + "Repeat it for several files.", valueName: "file"))
    var out: [String]

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("Missing expected argument '--out <file>'") }
        if let frames { _ = try integerList(frames, option: "--frames") }
        _ = try integerList(prime, option: "--prime")
    }

    func run() throws {
        let progress = ProgressLine()
        do {
            for path in out { try VideoFileFormat(path: path).checkAvailable() }
            let (checkpoint, sampler) = try generation.loadSampler()
            let texts = try generation.sceneText(config: checkpoint.config)
            let given = try frames.map { try integerList($0, option: "--frames") }
            let scenes = texts?.count ?? given?.count ?? 1
            // phenaki-pytorch's README example: 17 frames, then 14 new frames per later scene.
            let sceneFrames = given ?? [17] + Array(repeating: 14, count: scenes - 1)
            let made = try Generation.makeVideo(sampler, texts: texts, frames: sceneFrames,
                                                primeLengths: try integerList(prime, option: "--prime"),
                                                options: generation.samplingOptions, progress: progress.show)
            progress.finish()
            var outputs: [(video: HostTensor, path: String)] = []
            for path in out {
                outputs.append((video: made.video, path: path))
                for (i, scene) in made.scenes.enumerated() {
                    outputs.append((video: scene, path: VideoFileFormat.scenePath(path, scene: i + 1)))
                }
            }
            try VideoFileFormat.writeAll(outputs)
            for output in outputs { print(output.path) }
        } catch {
            progress.finish()
            throw fail(error)
        }
    }
}
