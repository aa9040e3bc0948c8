import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import PhenakiGraphs
import Testing
import TensorGraph

/// Buffers: state the forward pass updates (`Tracer.bufferUpdate(of:to:)`) and the optimizer
/// leaves alone, in `trainingGraph` and in a training C-ViViT with the EMA codebook.
@Suite struct BufferUpdateTests {
    /// A toy model with one trained weight `w` and one buffer `stats` that the forward both reads
    /// (so a gradient would reach it were it trained) and replaces by a running mean of the batch.
    private func toyGraph() throws -> Graph {
        let t = Tracer()
        let x = t.input("x", [2, 3])
        let w = t.parameter("w", [2, 3], .normal(mean: 0, std: 1))
        let stats = t.parameter("stats", [2, 3], .ones)
        t.bufferUpdate(of: stats, to: stats * 0.5 + x * 0.5)
        let loss = (w * x + stats).square().sum()
        return try t.finish(outputs: [("loss", loss)])
    }

    private let x = HostTensor(shape: [2, 3], dtype: .float32, scalars: [0.5, -1, 2, 0.25, 1.5, -0.75])

    /// The host AdamW step of `w` on its first update (bias-corrected moments give g / (|g| + ε)).
    private func adamFirstStep(w: [Double], stats: [Double], lr: Double, weightDecay: Double) -> (w: [Double], norm: Double) {
        let g = w.indices.map { 2 * (w[$0] * x.scalars[$0] + stats[$0]) * x.scalars[$0] }
        let next = w.indices.map { w[$0] * (1 - lr * weightDecay) - lr * g[$0] / (abs(g[$0]) + 1e-8) }
        return (next, g.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    /// `next:stats` is the forward's update; the buffer gets no Adam moments, accumulator or
    /// weight decay and no share of the gradient norm, while `w` takes the AdamW step; with EMA on
    /// the buffer's `ema:` copy is blended like a weight. Reference interpreter and compiled plan.
    @Test func bufferNextValueIsTheForwardUpdate() throws {
        let forward = try toyGraph()
        #expect(forward.outputs.map(\.name) == ["loss", "update:stats"])
        let options = TrainingOptions(weightDecay: 0.5, maxGradNorm: 1e6, ema: true)
        let training = try trainingGraph(forward, loss: "loss", options: options)
        let inputs = Set(training.inputs.map(\.name))
        for state in ["adam.m:", "adam.v:", "accum:"] { #expect(!inputs.contains(state + "stats")) }
        #expect(inputs.contains("adam.m:w") && inputs.contains("ema:stats"))

        let seed: UInt64 = 4
        let w0 = initialParameters(of: forward, seed: seed)["w"]!
        let stats0 = HostTensor(shape: [2, 3], dtype: .float32, scalars: Array(repeating: 1, count: 6))
        let (lr, decay) = (0.1, 0.25)
        let (expectedW, expectedNorm) = adamFirstStep(w: w0.scalars, stats: stats0.scalars, lr: lr, weightDecay: 0.5)
        let expectedStats = stats0.scalars.indices.map { 0.5 * stats0.scalars[$0] + 0.5 * x.scalars[$0] }

        // Reference interpreter on the training graph.
        var feeds: [String: HostTensor] = ["x": x, "w": w0, "stats": stats0, "ema:w": w0, "ema:stats": stats0,
                                           "adam.m:w": .zeros([2, 3]), "adam.v:w": .zeros([2, 3])]
        for (name, value) in [(TrainingState.step, 0.0), (TrainingState.micro, 0), (TrainingState.learningRate, lr),
                              (TrainingState.emaDecay, decay)] { feeds[name] = HostTensor(value) }
        let oracle = try ReferenceInterpreter(precision: .float64).run(training, feeds: feeds)

        try expectClose(oracle["next:stats"], expectedStats, "interpreter next:stats")
        try expectClose(oracle["update:stats"], expectedStats, "interpreter update:stats")
        try expectClose(oracle["next:w"], expectedW, "interpreter next:w")
        try expectClose(oracle[TrainingState.gradNorm], [expectedNorm], "interpreter grad norm (w only)")
        let blended = expectedStats.indices.map { decay * stats0.scalars[$0] + (1 - decay) * expectedStats[$0] }
        try expectClose(oracle["next:ema:stats"], blended, "interpreter next:ema:stats")
        let stateOfStats = oracle.keys.filter { $0.hasSuffix(":stats") }.sorted()
        #expect(stateOfStats == ["next:ema:stats", "next:stats", "update:stats"])

        // The compiled plan through a TrainingSession (which starts `stats` at its initializer,
        // ones): the same values; a second step continues the running mean.
        let fresh = try TrainingSession(plan: compile(training), threads: 2, seed: seed)
        try fresh.setScalar(TrainingState.learningRate, lr)
        try fresh.setScalar(TrainingState.emaDecay, decay)
        try fresh.step(["x": x])
        try expectClose(fresh.executor.output("next:stats"), expectedStats, "compiled next:stats")
        try expectClose(fresh.executor.output("next:w"), expectedW, "compiled next:w")
        try expectClose(fresh.executor.output(TrainingState.gradNorm), [expectedNorm], "compiled grad norm")
        try fresh.step(["x": x])
        let twice = expectedStats.indices.map { 0.5 * expectedStats[$0] + 0.5 * x.scalars[$0] }
        try expectClose(fresh.executor.output("next:stats"), twice, "compiled next:stats after two steps")
    }

    /// With gradient accumulation the buffer moves on every micro-batch (as PyTorch's forward
    /// writes it on every call) while the weights wait for the last one.
    @Test func buffersUpdateOnEveryMicroBatch() throws {
        let training = try trainingGraph(toyGraph(), loss: "loss", options: TrainingOptions(gradientAccumulation: 2))
        let session = try TrainingSession(plan: compile(training), threads: 1, seed: 2)
        try session.setScalar(TrainingState.learningRate, 1e-2)
        let w0 = try #require(initialParameters(of: training, seed: 2)["w"])
        var stats = [Double](repeating: 1, count: 6)
        for micro in 0..<2 {
            try session.step(["x": x])
            stats = stats.indices.map { 0.5 * stats[$0] + 0.5 * x.scalars[$0] }
            try expectClose(session.executor.output("next:stats"), stats, "micro-batch \(micro) next:stats")
            let w = try #require(session.executor.output("next:w"))
            #expect((w.scalars == w0.scalars) == (micro == 0), "w moves only after the last micro-batch")
        }
        #expect(session.scalar("next:train.step") == 1)
    }

    /// Malformed buffer updates are typed errors that say what to change.
    @Test func badBufferUpdatesAreRejected() throws {
        let t = Tracer()
        let p = t.parameter("p", [2], .zeros)
        t.bufferUpdate(of: p * 2, to: p)
        #expect(throws: GraphError.self) { try t.finish(outputs: [("y", p.sum())]) }

        let u = Tracer()
        let q = u.parameter("q", [2], .zeros)
        u.bufferUpdate(of: q, to: q.sum())
        #expect(throws: GraphError.self) { try u.finish(outputs: [("y", q.sum())]) }

        let v = Tracer()
        let r = v.parameter("r", [2], .zeros)
        let orphan = try v.finish(outputs: [("loss", r.sum()), ("update:missing", r)])
        #expect(throws: GraphError.self) { try trainingGraph(orphan, loss: "loss", options: TrainingOptions()) }

        // One forward pass, one next value: a second update of the same buffer is dropped.
        let twice = Tracer()
        let s = twice.parameter("s", [2], .zeros)
        twice.bufferUpdate(of: s, to: s + 1)
        twice.bufferUpdate(of: s, to: s + 2)
        let graph = try twice.finish(outputs: [("y", s.sum())])
        #expect(graph.outputs.map(\.name) == ["y", "update:s"])
        let out = try ReferenceInterpreter(precision: .float64).run(graph, feeds: ["s": .zeros([2])])
        #expect(out["update:s"]?.scalars == [1, 1])

        // A graph whose only parameters are buffers has nothing to train.
        let only = Tracer()
        let b = only.parameter("b", [2], .zeros)
        only.bufferUpdate(of: b, to: b + 1)
        let buffersOnly = try only.finish(outputs: [("loss", b.sum())])
        #expect(throws: GraphError.self) { try trainingGraph(buffersOnly, loss: "loss", options: TrainingOptions()) }
    }

    /// The `phenaki` CLI's `cvivit-train` graph with `lookup_free_quantization: false` carries the
    /// codebook buffers: `next:` from the forward's update, no Adam state for them.
    @Test func cvivitTrainGraphCarriesTheCodebookBuffers() throws {
        let config = try PhenakiConfig.decode(json: configJSON(.tiny, ["cvivit.lookup_free_quantization": false]))
        // Without the non-finite guard `next:` is the forward's update itself (with it, a select
        // around it that keeps the old value on a bad step).
        let graph = try PhenakiModels.graph(named: "cvivit-train", config: config,
                                            training: TrainingOptions(skipNonFinite: false))
        let outputs = Set(graph.outputs.map(\.name))
        let inputs = Set(graph.inputs.map(\.name))
        for buffer in ["embed", "cluster_size", "embed_avg"].map({ "vq._codebook." + $0 }) {
            #expect(outputs.contains("next:" + buffer) && outputs.contains("update:" + buffer), "\(buffer)")
            #expect(graph.output("next:" + buffer) == graph.output("update:" + buffer), "\(buffer)")
            #expect(!inputs.contains("adam.m:" + buffer) && !inputs.contains("adam.v:" + buffer), "\(buffer)")
        }
    }

    /// A phenaki-pytorch state_dict of a VectorQuantize CViViT: a training graph declares the EMA
    /// buffers, so `cluster_size` and `embed_avg` load as parameters (with the file's values) and
    /// only `initted` is tolerated; an eval graph declares only the codebook and tolerates all three.
    @Test func emaBuffersLoadIntoTrainingGraphs() throws {
        let f = try ReferenceFixture("quantizers", "cvivit_vq")
        for training in [true, false] {
            let t = Tracer()
            let vq = VectorQuantize(dim: f.int("dim"), codebookSize: f.int("codebook_size"), training: training)
            let (recon, _, _) = f.cvivit.reconstruct(video: t.input("video", [1, 3, 3, 8, 12]), quantizer: .vectorQuantize(vq))
            let match = matchWeights(f.weights, for: try t.finish(outputs: [("recon", recon)]))
            #expect(match.mismatches.isEmpty, "\(match.mismatches)")
            let tolerated = match.tolerated.filter { $0.reason == .vectorQuantizeEMAState }.map(\.name)
            let buffers = ["vq._codebook.cluster_size", "vq._codebook.embed_avg"]
            #expect(tolerated == (training ? [] : buffers) + ["vq._codebook.initted"])
            for name in buffers {
                #expect(match.parameters[name]?.scalars == (training ? f.weights[name]!.scalars : nil), "\(name)")
            }
        }
    }

    /// A C-ViViT with `lookup_free_quantization: false` (the cvivit_vq fixture's weights) trained
    /// three AdamW steps with weight decay through `trainingGraph`: each step's
    /// `next:vq._codebook.*` equals the EMA update computed on the host (float64) from that step's
    /// tokens and ids, codes no token hit keep their direction (no weight decay reaches them),
    /// hit codes move, and the codebook has no optimizer state.
    @Test func cvivitCodebookLearnsByEMA() throws {
        let f = try ReferenceFixture("quantizers", "cvivit_vq")
        let model = f.cvivit
        let vq = VectorQuantize(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        let video = try #require(f.inputs["video"])
        let t = Tracer()
        let input = t.input("video", video.shape)
        let (_, reconLoss, auxLoss) = model.reconstruct(video: input, quantizer: .vectorQuantize(vq))
        let tokens = model.encodeTokens(video: input).reshape([-1, vq.dim])
        let ids = model.codebookIds(video: input, quantizer: .vectorQuantize(vq)).reshape([-1])
        let forward = try t.finish(outputs: [("loss", reconLoss + auxLoss), ("tokens", tokens), ("ids", ids)])
        let plan = try compile(trainingGraph(forward, loss: "loss", options: TrainingOptions(weightDecay: 0.1)))
        let feedNames = Set(plan.feeds.map(\.name))
        for buffer in ["embed", "cluster_size", "embed_avg"] {
            #expect(!feedNames.contains("adam.m:vq._codebook." + buffer) && feedNames.contains("vq._codebook." + buffer))
        }

        let session = try TrainingSession(plan: plan, threads: 2, seed: 0)
        for binding in plan.feeds where binding.role == .parameter {
            try session.executor.setFeed(binding.name, try #require(f.weights[binding.name], "no fixture weight \(binding.name)"))
        }
        try session.setScalar(TrainingState.learningRate, 1e-3)
        var state = EMACodebook(embed: f.weights["vq._codebook.embed"]!.scalars,
                                clusterSize: f.weights["vq._codebook.cluster_size"]!.scalars,
                                embedAvg: f.weights["vq._codebook.embed_avg"]!.scalars,
                                size: vq.codebookSize, dim: vq.dim)
        let firstWeight = "to_patch_emb.2.weight"
        let weightBefore = try #require(f.weights[firstWeight]).scalars
        var unhitSeen = false
        for step in 1...3 {
            try session.step(["video": video])
            let tokens = try #require(session.executor.output("tokens")).scalars
            let ids = try #require(session.executor.output("ids")).scalars.map { Int($0) }
            let expected = state.updated(tokens: tokens, ids: ids, decay: vq.decay, epsilon: vq.epsilon)
            let label = "step \(step)"
            try expectClose(session.executor.output("next:vq._codebook.cluster_size"), expected.clusterSize, "\(label) cluster_size")
            try expectClose(session.executor.output("next:vq._codebook.embed_avg"), expected.embedAvg, "\(label) embed_avg")
            let embed = try #require(session.executor.output("next:vq._codebook.embed")).scalars
            try expectClose(embed, expected.embed, "\(label) embed")
            let hits = Set(ids)
            let d = vq.dim
            let old = state.unitRows
            for code in 0..<vq.codebookSize {
                let shift = (0..<d).map { abs(embed[code * d + $0] - old[code * d + $0]) }.max()!
                if hits.contains(code) {
                    #expect(shift > 1e-3, "\(label): code \(code) was hit but did not move")
                } else {
                    unhitSeen = true
                    #expect(shift < 1e-5, "\(label): code \(code) was not hit but moved by \(shift)")
                }
            }
            state = expected
        }
        #expect(unhitSeen, "the fixture batch leaves some codes unused")
        let weightAfter = try #require(session.executor.output("next:" + firstWeight)).scalars
        #expect(zip(weightAfter, weightBefore).contains { abs($0 - $1) > 1e-5 }, "the encoder trains too")
    }
}

/// The host oracle of `CosineSimCodebook`'s EMA state ([K, d] row-major, [K]).
private struct EMACodebook {
    var embed: [Double]
    var clusterSize: [Double]
    var embedAvg: [Double]
    let size: Int
    let dim: Int

    /// The codebook with unit rows, as the forward uses it.
    var unitRows: [Double] { normalizedRows(embed) }

    private func normalizedRows(_ v: [Double]) -> [Double] {
        var out = v
        for row in 0..<(v.count / dim) {
            let range = (row * dim)..<((row + 1) * dim)
            let norm = max(range.map { v[$0] * v[$0] }.reduce(0, +).squareRoot(), 1e-12)
            for i in range { out[i] = v[i] / norm }
        }
        return out
    }

    /// One training forward on tokens [n, d] whose codes are `ids` (no mask).
    func updated(tokens: [Double], ids: [Int], decay: Double, epsilon: Double) -> EMACodebook {
        let x = normalizedRows(tokens)
        var bins = [Double](repeating: 0, count: size)
        var sums = [Double](repeating: 0, count: size * dim)
        for (n, code) in ids.enumerated() {
            bins[code] += 1
            for j in 0..<dim { sums[code * dim + j] += x[n * dim + j] }
        }
        var next = self
        // A never-updated codebook's embed_avg is the codebook itself (PyTorch's init).
        let start = clusterSize.reduce(0, +) == 0 ? unitRows : embedAvg
        next.clusterSize = clusterSize.indices.map { clusterSize[$0] + (bins[$0] - clusterSize[$0]) * (1 - decay) }
        next.embedAvg = start.indices.map { start[$0] + (sums[$0] - start[$0]) * (1 - decay) }
        let total = next.clusterSize.reduce(0, +)
        let smoothed = next.clusterSize.map { ($0 + epsilon) / (total + Double(size) * epsilon) * total }
        next.embed = normalizedRows(next.embedAvg.indices.map { next.embedAvg[$0] / smoothed[$0 / dim] })
        return next
    }
}

/// Expects `actual` within 1e-4 of `expected` relative to max |expected| (floor 1e-6).
private func expectClose(_ actual: HostTensor?, _ expected: [Double], _ label: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    let value = try #require(actual, "\(label) missing", sourceLocation: sourceLocation)
    try expectClose(value.scalars, expected, label, sourceLocation: sourceLocation)
}

private func expectClose(_ actual: [Double], _ expected: [Double], _ label: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    try #require(actual.count == expected.count, "\(label): \(actual.count) values, expected \(expected.count)",
                 sourceLocation: sourceLocation)
    let scale = max(expected.map(abs).max() ?? 0, 1e-6)
    let error = (zip(actual, expected).map { abs($0 - $1) }.max() ?? 0) / scale
    #expect(error <= 1e-4, "\(label): relative error \(error)", sourceLocation: sourceLocation)
}
