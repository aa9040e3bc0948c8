import Dispatch
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// C-ViViT encode (video → codebook ids) and decode (ids → video) in eval mode, on the Phenaki
/// state_dict's `cvivit.*` weights, each plan compiled once per shape and reused.
final class VideoCodec {
    let config: PhenakiConfig
    let threads: Int?
    private let parameters: [String: HostTensor]
    private var encoders: [[Int]: PlanExecutor] = [:]
    private var decoders: [[Int]: PlanExecutor] = [:]
    /// Seconds spent compiling plans so far.
    private(set) var compileSeconds = 0.0

    init(config: PhenakiConfig, parameters: [String: HostTensor], threads: Int?) {
        self.config = config
        self.parameters = parameters
        self.threads = threads
    }

    /// Codebook ids int32 [b, n] (flattened) of `video` f32 [b, c, f, H, W].
    func encode(_ video: HostTensor) throws -> HostTensor {
        let executor = try encoders[video.shape] ?? make(encoders: video.shape)
        try executor.setFeed("video", video)
        try executor.run()
        return executor.output("ids")!
    }

    /// The video f32 [b, c, f, H, W] of ids int32 [b, n], without its first `dropFrames` frames.
    func decode(_ ids: HostTensor, dropFrames: Int) throws -> HostTensor {
        let key = ids.shape + [dropFrames]
        let executor = try decoders[key] ?? make(decoders: key)
        try executor.setFeed("ids", ids)
        try executor.run()
        return executor.output("video")!
    }

    private func make(encoders shape: [Int]) throws -> PlanExecutor {
        let (model, quantizer) = (PhenakiModels.cvivitModel(config.cvivit), interopQuantizer(config.cvivit))
        let graph = try Tracer.trace { t in
            let video = t.input("video", shape)
            let ids = t.scope("cvivit") { model.codebookIds(video: video, quantizer: quantizer) }
            return ["ids": ids.reshape([shape[0], ids.type.count / shape[0]])]
        }
        let executor = try prepared(graph)
        encoders[shape] = executor
        return executor
    }

    private func make(decoders key: [Int]) throws -> PlanExecutor {
        let executor = try prepared(decoderGraph(ids: [key[0], key[1]], dropFrames: key[2]))
        decoders[key] = executor
        return executor
    }

    /// The decoder's graph for ids int32 `ids` ([b, n]), without the first `dropFrames` frames.
    func decoderGraph(ids shape: [Int], dropFrames drop: Int) throws -> Graph {
        let (model, quantizer) = (PhenakiModels.cvivitModel(config.cvivit), interopQuantizer(config.cvivit))
        return try Tracer.trace { t in
            let ids = t.input("ids", shape, .int32)
            var video = t.scope("cvivit") { model.decodeFromCodebookIndices(ids, quantizer: quantizer) }
            if drop > 0 { video = video.slice(axis: 2, drop..<video.shape[2]) }
            return ["video": video]
        }
    }

    /// The plans compiled so far for decoding (the bench counts their work).
    var decoderPlans: [Plan] { decoders.values.map(\.plan) }

    private func prepared(_ graph: Graph) throws -> PlanExecutor {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { compileSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let executor = try PlanExecutor(plan: compile(graph), threads: threads)
        for binding in executor.feedBindings {
            if let value = parameters[binding.name] { try executor.setFeed(binding.name, value) }
        }
        return executor
    }
}
