import Dispatch
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// phenaki-pytorch 0.5.0's `Phenaki.sample`: MaskGit decoding of video tokens in `steps` rounds
/// (cosine re-mask schedule, annealed gumbel sampling, classifier-free guidance, optional critic),
/// then C-ViViT decoding.
///
/// Every graph is compiled once per (batch, prime tokens, tokens, text length, cond scale) and
/// kept: a sampling loop never compiles. Each plan is split by `InvariantHoisting` with the text
/// fixed, so the text's keys and values, its mask and the position-bias MLP run once per sample,
/// not once per step. Guided and unguided passes run as one batched transformer pass, and the
/// guidance is applied to its outputs before `to_logits` (`MaskGit.guidedEmbeddings`), so the
/// largest GEMM runs over b rows, not 2b; and `to_logits` with the draw runs over the masked
/// positions only (the only ones a step changes and scores), in a plan sized for them
/// (`headRows(batch:tokens:)`). With the seed's own draws, tokens come from
/// `CategoricalDraw` (one uniform per token, the distribution of `gumbel_sample`); replayed
/// draws (`RecordedSamplingDraws`) go through `gumbel_sample` itself.
///
/// Weights are a Phenaki `state_dict`: `maskgit.*`, `critic.*` (TokenCritic, or the self critic's
/// `critic.to_pred.0.*`), `cvivit.*`. Text comes as embeddings (the text encoder's output),
/// f32 [b, m, dim_context] with m ≤ max_text_len; rows that are all zero are padding.
public final class PhenakiSampler {
    /// The validated config.
    public let config: PhenakiConfig
    /// The critic that scores tokens, or nil (confidence from MaskGit's probabilities).
    public let critic: SamplerCritic?
    /// Threads of each run (nil: one per core).
    public let threads: Int?
    let parameters: [String: HostTensor]
    let codec: VideoCodec
    var plans: [PlanKey: HoistedPlan] = [:]
    private var loopCompileSeconds = 0.0
    private let headRowsOverride: Int?

    /// Seconds spent compiling plans so far (tracing, hoisting, compiling, binding weights),
    /// the decoder's included.
    public var compileSeconds: Double { loopCompileSeconds + codec.compileSeconds }

    /// The graphs of the loop (see `SamplerGraphs`).
    enum PlanKind: Hashable {
        /// MaskGit's guided transformer (once a step).
        case maskgit
        /// `to_logits` and the draw over `rows` masked positions (as often as a step needs).
        case head(rows: Int, scores: Bool)
        /// The critic (once a step but the last).
        case critic
    }

    struct PlanKey: Hashable {
        var kind: PlanKind
        var shape: SamplerGraphs.Shape
    }

    /// - Parameters:
    ///   - parameters: the Phenaki state_dict (tensors a graph does not use are ignored).
    ///   - critic: the critic to use (nil: none, confidence from MaskGit's probabilities).
    /// - Throws: `ConfigError` when the config is invalid.
    public convenience init(config: PhenakiConfig, parameters: [String: HostTensor], critic: SamplerCritic?,
                            threads: Int? = nil) throws {
        try self.init(config: config, parameters: parameters, critic: critic, threads: threads, headRows: nil)
    }

    /// `headRows` sets the rows of the one `to_logits` head plan (nil: see
    /// `headRows(batch:tokens:)`); tests use a few to cover repeated runs and their padding.
    init(config: PhenakiConfig, parameters: [String: HostTensor], critic: SamplerCritic?, threads: Int?,
         headRows: Int?) throws {
        try config.validate()
        self.config = config
        self.critic = critic
        self.threads = threads
        self.parameters = parameters
        headRowsOverride = headRows
        codec = VideoCodec(config: config, parameters: parameters, threads: threads)
    }

    /// A sampler with the critic the config implies (`SamplerCritic.implied(by:)`).
    public convenience init(config: PhenakiConfig, parameters: [String: HostTensor], threads: Int? = nil) throws {
        try self.init(config: config, parameters: parameters, critic: SamplerCritic.implied(by: config),
                      threads: threads)
    }

    /// The number of plans compiled so far (tests check that sampling again compiles nothing).
    public var compiledPlanCount: Int { plans.count }

    /// What hoisting moved out of the step loop in each compiled transformer plan (MaskGit's and
    /// the critic's; the head reads no text), one summary per plan.
    public var hoistingSummaries: [String] {
        plans.filter { if case .head = $0.key.kind { false } else { true } }.map(\.value.split.summary)
    }

    /// The row counts of the `to_logits` head plans for `batch · tokens` positions, largest
    /// first: all positions, and half of them for the late steps, which mask half or fewer.
    ///
    /// A GEMM step splits its rows over the threads, each streaming all of `to_logits`' weights
    /// (134 MB at 65536 × 512), so it keeps its speed only with a few hundred rows a thread: a
    /// head of a few rows run many times would stream the weights once a run and lose more than
    /// it saves. With two plans (two copies of the weights) the paper variant's 18 steps run
    /// 83 % of the rows of a full head every step at the full GEMM speed (the masked rows alone
    /// are 66 %).
    func headRows(batch: Int, tokens: Int) -> [Int] {
        let all = batch * tokens
        if let headRowsOverride { return [max(1, min(all, headRowsOverride))] }
        return all > 1 ? [all, (all + 1) / 2] : [all]
    }

    /// The head plan's rows for `masked` masked positions (`rows`, largest first): the smallest
    /// that takes them in one run, else the largest (run as often as needed).
    static func headRows(for masked: Int, of rows: [Int]) -> Int {
        rows.last { $0 >= masked } ?? rows[0]
    }

    // MARK: Videos

    /// `Phenaki.sample(num_frames=frames, texts=..., prime_frames=primeVideo, batch_size=batch,
    /// cond_scale=..., starting_temperature=..., noise_K=...)`: a video f32 [b, c, frames, H, W]
    /// (without the priming frames).
    ///
    /// - Parameters:
    ///   - text: text embeddings [b, m, dim_context] (nil for an unconditional MaskGit); the
    ///     batch is the text's, else `batch`.
    ///   - primeVideo: frames f32 [b, c, f, H, W] to continue: their codebook ids are prepended and
    ///     never re-masked; `frames` then counts the new frames only.
    ///   - observer: sees what each step feeds MaskGit (for progress lines).
    public func sample(frames: Int, text: HostTensor? = nil, batch: Int = 1, primeVideo: HostTensor? = nil,
                       options: SamplingOptions = SamplingOptions(),
                       observer: ((SamplingStep) -> Void)? = nil) throws -> HostTensor {
        let primeIds = try primeVideo.map(encodePrime)
        let primeFrames = primeVideo?.shape[2] ?? 0
        let ids = try sampleTokens(frames: frames, text: text, batch: batch, primeIds: primeIds,
                                   primeFrames: primeFrames, options: options, observer: observer)
        return try decode(primeIds: primeIds, ids: ids, primeFrames: primeFrames)
    }

    /// C-ViViT's codebook ids int32 [b, p] (flattened) of priming frames f32 [b, c, f, H, W],
    /// `f - 1` a multiple of temporal_patch_size.
    public func encodePrime(_ primeVideo: HostTensor) throws -> HostTensor {
        let c = config.cvivit
        let want = [c.channels, c.imageSize.height, c.imageSize.width]
        guard primeVideo.shape.count == 5, [primeVideo.shape[1], primeVideo.shape[3], primeVideo.shape[4]] == want,
              primeVideo.dtype == .float32 else {
            throw SamplingError.invalidPrime(
                reason: "expected float32 [batch, \(want[0]), frames, \(want[1]), \(want[2])], got \(primeVideo.type)")
        }
        let frames = primeVideo.shape[2]
        guard frames >= 1, (frames - 1) % c.temporalPatchSize == 0 else {
            throw SamplingError.invalidPrime(
                reason: "\(frames) frames: frames - 1 must be a multiple of temporal_patch_size \(c.temporalPatchSize)")
        }
        return try codec.encode(primeVideo)
    }

    /// `decode_from_codebook_indices` of the prime ids [b, p] (nil: none) followed by `ids` [b, g],
    /// without the first `primeFrames` frames: f32 [b, c, frames, H, W].
    public func decode(primeIds: HostTensor?, ids: HostTensor, primeFrames: Int) throws -> HostTensor {
        let all = primeIds.map { concatRows($0, ids) } ?? ids
        return try codec.decode(all, dropFrames: primeFrames)
    }

    /// `Phenaki.sample_images`: one frame, as images f32 [b, c, H, W].
    public func sampleImages(text: HostTensor? = nil, batch: Int = 1,
                             options: SamplingOptions = SamplingOptions()) throws -> HostTensor {
        var video = try sample(frames: 1, text: text, batch: batch, options: options)
        video.shape.remove(at: 2)
        return video
    }

    // MARK: Tokens

    /// The MaskGit decoding loop alone: codebook ids int32 [b, g] of `frames` new frames after
    /// `primeIds` int32 [b, p] (the codebook ids of `primeFrames` frames; nil: none).
    /// `recorded` replays another implementation's uniform draws instead of the seed's;
    /// `observer` sees what each step feeds MaskGit.
    public func sampleTokens(frames: Int, text: HostTensor? = nil, batch: Int = 1, primeIds: HostTensor? = nil,
                             primeFrames: Int = 0, options: SamplingOptions = SamplingOptions(),
                             recorded: RecordedSamplingDraws? = nil,
                             observer: ((SamplingStep) -> Void)? = nil) throws -> HostTensor {
        let steps = config.phenaki.steps
        guard steps >= 1 else { throw SamplingError.invalidOption(reason: "phenaki.steps must be at least 1") }
        let (paddedText, batch) = try checkedText(text, batch: batch)
        let shape = try tokenShape(frames: frames, primeFrames: primeFrames, primeIds: primeIds, batch: batch,
                                   textLength: paddedText.map { $0.shape[1] }, options: options,
                                   draws: recorded == nil ? .rngKey : .inputs)
        if let recorded { try check(recorded, shape: shape, steps: steps) }
        let (b, g, p) = (shape.batch, shape.tokens, shape.primeTokens)
        let maskPlan = try plan(.maskgit, shape)
        let headPlans = try headRows(batch: b, tokens: g).map {
            ($0, try plan(.head(rows: $0, scores: critic == nil), shape))
        }
        let criticPlan = critic == nil ? nil : try plan(.critic, shape)
        let fixed = paddedText.map { ["text": $0] } ?? [:]
        try maskPlan.prepare(fixed: fixed)
        try criticPlan?.prepare(fixed: fixed)

        let maskID = Int32(config.maskgit.numTokens)
        var videoIds = [Int32](repeating: maskID, count: b * g)
        var mask = [Bool](repeating: true, count: b * g)
        var scores: [Float]?
        var order = [Int32](repeating: 0, count: g)
        var masked = [Int]()
        masked.reserveCapacity(b * g)
        let primeValues = primeIds.map { $0.scalars } ?? []
        let baseKey = RNGKey(seed: options.seed)

        func idsFeed() -> HostTensor {
            var values = [Double]()
            values.reserveCapacity(b * (p + g))
            for row in 0..<b {
                values.append(contentsOf: primeValues[(row * p)..<(row * p + p)])
                for i in (row * g)..<(row * g + g) { values.append(Double(videoIds[i])) }
            }
            return HostTensor(shape: [b, p + g], dtype: .int32, scalars: values)
        }

        for step in 0..<steps {
            let isLast = step == steps - 1
            if step > 0, let current = scores {
                let k = SamplingSchedule.maskCount(step: step, steps: steps, tokens: g)
                current.withUnsafeBufferPointer { s in
                    mask.withUnsafeMutableBufferPointer { m in
                        for row in 0..<b {
                            TopK.mark(largest: k, of: UnsafeBufferPointer(rebasing: s[(row * g)..<(row * g + g)]),
                                      into: UnsafeMutableBufferPointer(rebasing: m[(row * g)..<(row * g + g)]),
                                      order: &order)
                        }
                    }
                }
            }
            for i in 0..<(b * g) where mask[i] { videoIds[i] = maskID }

            let temperature = SamplingSchedule.temperature(step: step, steps: steps, starting: options.startingTemperature)
            let ids = idsFeed()
            if let observer {
                observer(SamplingStep(step: step, mask: HostTensor(shape: [b, g], dtype: .bool, scalars: mask.map { $0 ? 1 : 0 }),
                                      inputIds: ids, temperature: temperature))
            }
            try maskPlan.run(["ids": ids])

            // The head over the masked positions only: where(mask, sampled, ids) leaves the
            // others as they are, and their confidence scores are −1e4.
            masked.removeAll(keepingCapacity: true)
            for i in 0..<(b * g) where mask[i] { masked.append(i) }
            let r = Self.headRows(for: masked.count, of: headPlans.map(\.0))
            let headPlan = headPlans.first { $0.0 == r }!.1
            let stepKey = baseKey.foldIn(step)
            try headPlan.step.withFloatBuffer("hidden") { target in
                try maskPlan.step.withFloatBuffer("hidden") { source in _ = target.update(fromContentsOf: source) }
            }
            var headFeeds: [String: HostTensor] = ["temperature": HostTensor(max(temperature, 1e-10))]
            if let recorded {
                var gumbel = recorded.gumbel[step]
                gumbel.shape = [b * g, config.maskgit.numTokens]
                headFeeds[SamplerGraphs.gumbelName] = gumbel
            } else {
                headFeeds[SamplerGraphs.rngName] = stepKey.tensor
            }
            for (name, value) in headFeeds where headPlan.reads(name) { try headPlan.step.setFeed(name, value) }
            var confidence = isLast || critic != nil ? nil : [Float](repeating: -1e4, count: b * g)
            for start in stride(from: 0, to: masked.count, by: r) {
                let chunk = masked[start..<min(start + r, masked.count)]
                // A short run repeats its last position; those rows are not read back.
                let rows = (0..<r).map { Double(chunk[min(chunk.startIndex + $0, chunk.endIndex - 1)]) }
                try headPlan.run(["rows": HostTensor(shape: [r], dtype: .int32, scalars: rows)])
                let drawn = headPlan.step.output("ids")!.scalars
                for (j, i) in chunk.enumerated() { videoIds[i] = Int32(drawn[j]) }
                if confidence != nil {
                    let picked = headPlan.step.output("scores")!.scalars
                    for (j, i) in chunk.enumerated() { confidence![i] = Float(picked[j]) }
                }
            }
            if isLast { break }

            if let criticPlan {
                let multiplier = SamplingSchedule.noiseMultiplier(step: step, steps: steps,
                                                                  schedule: config.phenaki.criticNoiseAnnealSchedule)
                var criticFeeds: [String: HostTensor] = [
                    "ids": idsFeed(), "noise_k": HostTensor(options.noiseK), "noise_multiplier": HostTensor(multiplier),
                ]
                if let recorded { criticFeeds[SamplerGraphs.criticUniformName] = recorded.critic[step] } else {
                    criticFeeds[SamplerGraphs.rngName] = stepKey.tensor
                }
                try criticPlan.run(criticFeeds)
                scores = criticPlan.step.output("scores")!.scalars.map { Float($0) }
            } else {
                scores = confidence
            }
        }
        return HostTensor(shape: [b, g], dtype: .int32, scalars: videoIds.map { Double($0) })
    }

    // MARK: Checks and plans

    /// The text padded with zero rows to max_text_len, and the batch.
    private func checkedText(_ text: HostTensor?, batch: Int) throws -> (HostTensor?, Int) {
        let conditional = !config.maskgit.unconditional
        guard let text else {
            if conditional { throw SamplingError.textMismatch(conditional: true) }
            guard batch >= 1 else { throw SamplingError.invalidOption(reason: "the batch must be at least 1, got \(batch)") }
            return (nil, batch)
        }
        guard conditional else { throw SamplingError.textMismatch(conditional: false) }
        let (maxLen, dim) = (config.phenaki.maxTextLen, config.maskgit.dimContext)
        guard text.shape.count == 3, text.shape[0] >= 1, text.shape[1] >= 1, text.shape[2] == dim,
              text.dtype == .float32 else {
            throw SamplingError.invalidText(reason: "expected float32 [batch, tokens, \(dim)], got \(text.type)")
        }
        guard text.shape[1] <= maxLen else {
            throw SamplingError.invalidText(reason: "\(text.shape[1]) tokens exceed phenaki.max_text_len \(maxLen)")
        }
        let (b, m) = (text.shape[0], text.shape[1])
        if m == maxLen { return (text, b) }
        // Zero rows are masked out (any(text != 0)), so padding changes nothing.
        var values = [Double]()
        values.reserveCapacity(b * maxLen * dim)
        for row in 0..<b {
            values.append(contentsOf: text.scalars[(row * m * dim)..<((row + 1) * m * dim)])
            values.append(contentsOf: repeatElement(0, count: (maxLen - m) * dim))
        }
        return (HostTensor(shape: [b, maxLen, dim], scalars: values), b)
    }

    func tokenShape(frames: Int, primeFrames: Int, primeIds: HostTensor?, batch: Int, textLength: Int?,
                            options: SamplingOptions, draws: SamplerDrawMode) throws -> SamplerGraphs.Shape {
        let model = PhenakiModels.cvivitModel(config.cvivit)
        let primed = primeIds != nil
        let tokens: Int, primeTokens: Int, patch: (frames: Int, height: Int, width: Int)
        do {
            tokens = try model.numTokensPerFrames(numFrames: frames, includeFirstFrame: !primed)
            primeTokens = primed ? try model.numTokensPerFrames(numFrames: primeFrames) : 0
            patch = try model.videoPatchShape(numFrames: frames + primeFrames)
        } catch {
            throw SamplingError.invalidFrames(frames: frames, primeFrames: primeFrames, reason: error.description)
        }
        guard tokens >= 1 else {
            throw SamplingError.invalidFrames(frames: frames, primeFrames: primeFrames,
                                              reason: "there must be at least one new token frame")
        }
        if let primeIds {
            guard primeIds.shape == [batch, primeTokens] else {
                throw SamplingError.invalidPrime(
                    reason: "ids of \(primeFrames) frames must be [\(batch), \(primeTokens)], got \(primeIds.shape)")
            }
        }
        var maxSeqLen = config.maskgit.maxSeqLen
        if critic == .token { maxSeqLen = min(maxSeqLen, PhenakiModels.criticConfig(config).maxSeqLen) }
        guard tokens + primeTokens <= maxSeqLen else {
            throw SamplingError.invalidFrames(frames: frames, primeFrames: primeFrames,
                                              reason: "\(tokens + primeTokens) tokens exceed max_seq_len \(maxSeqLen)")
        }
        return SamplerGraphs.Shape(batch: batch, primeTokens: primeTokens, tokens: tokens,
                                   patchShape: [patch.frames, patch.height, patch.width], textLength: textLength,
                                   condScale: options.condScale, draws: draws)
    }

    private func check(_ recorded: RecordedSamplingDraws, shape s: SamplerGraphs.Shape, steps: Int) throws {
        let gumbel = [s.batch, s.tokens, config.maskgit.numTokens]
        guard recorded.gumbel.count >= steps, recorded.gumbel.prefix(steps).allSatisfy({ $0.shape == gumbel }) else {
            throw SamplingError.invalidDraws(reason: "\(steps) gumbel draws of shape \(gumbel) needed")
        }
        if critic != nil {
            guard recorded.critic.count >= steps - 1,
                  recorded.critic.prefix(steps - 1).allSatisfy({ $0.shape == [s.batch, s.tokens] }) else {
                throw SamplingError.invalidDraws(reason: "\(steps - 1) critic draws of shape [\(s.batch), \(s.tokens)] needed")
            }
        }
    }

    private func plan(_ kind: PlanKind, _ shape: SamplerGraphs.Shape) throws -> HoistedPlan {
        let key = PlanKey(kind: kind, shape: shape)
        if let plan = plans[key] { return plan }
        let start = DispatchTime.now().uptimeNanoseconds
        let graph: Graph
        switch kind {
        case .maskgit: graph = try SamplerGraphs.maskgit(config, shape)
        case .head(let rows, let scores): graph = try SamplerGraphs.head(config, shape, rows: rows, scores: scores)
        case .critic: graph = try SamplerGraphs.critic(config, critic!, shape)
        }
        let plan = try HoistedPlan(graph: graph, fixedInputs: ["text"], parameters: parameters, threads: threads)
        plans[key] = plan
        loopCompileSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return plan
    }

    /// Rows of `a` [b, p] followed by rows of `b` [b, g]: [b, p + g].
    private func concatRows(_ a: HostTensor, _ b: HostTensor) -> HostTensor {
        let (rows, p, g) = (a.shape[0], a.shape[1], b.shape[1])
        var values = [Double]()
        values.reserveCapacity(rows * (p + g))
        for row in 0..<rows {
            values.append(contentsOf: a.scalars[(row * p)..<(row * p + p)])
            values.append(contentsOf: b.scalars[(row * g)..<(row * g + g)])
        }
        return HostTensor(shape: [rows, p + g], dtype: a.dtype, scalars: values)
    }
}
