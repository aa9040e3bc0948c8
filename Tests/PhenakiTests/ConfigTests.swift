import Foundation
import Phenaki
import Testing

/// `PhenakiConfig` as JSON: round trips, phenaki-pytorch's key names and defaults, variants.
struct ConfigTests {
    @Test("every variant survives JSON and back, and its JSON is already normalised",
          arguments: PhenakiConfig.variantNames)
    func variantRoundTrips(name: String) throws {
        let config = try PhenakiConfig.variant(named: name)
        let json = config.jsonString()
        let decoded = try PhenakiConfig.decode(json: json)
        #expect(decoded == config)
        #expect(decoded.jsonString() == json)
        try config.validate()
    }

    @Test("the paper variant has the seed README's numbers under phenaki-pytorch's key names")
    func paperValues() throws {
        let object = try configObject(PhenakiConfig.paper.jsonString())
        let cvivit = try #require(object["cvivit"] as? [String: Any])
        let expectedCViViT: [String: Int] = [
            "dim": 512, "codebook_size": 65536, "image_size": 256, "patch_size": 32, "temporal_patch_size": 2,
            "spatial_depth": 4, "temporal_depth": 4, "dim_head": 64, "heads": 8,
        ]
        for (key, value) in expectedCViViT { #expect(cvivit[key] as? Int == value, "cvivit.\(key)") }
        let maskgit = try #require(object["maskgit"] as? [String: Any])
        let expectedMaskGit: [String: Int] = [
            "dim": 512, "depth": 6, "dim_context": 768, "max_seq_len": 1024, "num_tokens": 65536,
        ]
        for (key, value) in expectedMaskGit { #expect(maskgit[key] as? Int == value, "maskgit.\(key)") }
        let phenaki = try #require(object["phenaki"] as? [String: Any])
        #expect(phenaki["text_embed_dim"] as? Int == 768)
        #expect(phenaki["t5_name"] as? String == "google/t5-v1_1-base")
        // 256 / 32 = 8 patches a side; 17 frames (phenaki-pytorch's trainer default) are 9 token frames.
        #expect(PhenakiConfig.paper.tokensPerFrame == 64)
        #expect(PhenakiConfig.paper.sequenceLength(frames: 17) == 576)
        #expect(PhenakiConfig.paper.maxFrames == 31)
    }

    @Test func tinyIsSmallAndFitsFiveFrames() throws {
        let tiny = PhenakiConfig.tiny
        #expect(tiny.cvivit.dim == 32 && tiny.cvivit.codebookSize == 256 && tiny.cvivit.imageSize == 16)
        #expect(tiny.tokensPerFrame == 4)
        #expect(tiny.sequenceLength(frames: 5) == 12)
        try tiny.validate(frames: 5)
        #expect(tiny.phenaki.textEmbedDim == tiny.maskgit.dimContext)
    }

    @Test("omitted keys take phenaki-pytorch 0.5.0's constructor defaults")
    func defaults() throws {
        let config = try PhenakiConfig.decode(json: """
            {"cvivit": {"dim": 64, "codebook_size": 1024, "image_size": 32, "patch_size": 8,
                        "temporal_patch_size": 2, "spatial_depth": 1, "temporal_depth": 1},
             "maskgit": {"dim": 64, "num_tokens": 1024, "max_seq_len": 64, "depth": 2}}
            """)
        let cvivit = config.cvivit
        #expect(cvivit.discrBaseDim == 16 && cvivit.dimHead == 64 && cvivit.heads == 8 && cvivit.channels == 3)
        #expect(cvivit.useVGGAndGAN && cvivit.useHingeLoss && cvivit.lookupFreeQuantization)
        #expect(cvivit.discrAttnResLayers == [16] && cvivit.attnDropout == 0 && cvivit.ffDropout == 0)
        let maskgit = config.maskgit
        #expect(maskgit.dimContext == 64, "dim_context defaults to dim, as in phenaki-pytorch's Attention")
        #expect(maskgit.gradientShrinkAlpha == 0.1 && maskgit.heads == 8 && maskgit.dimHead == 64)
        #expect(!maskgit.unconditional && maskgit.ffMult == 4)
        #expect(config.critic == nil)
        let phenaki = config.phenaki
        #expect(phenaki.textEncoder == .t5 && phenaki.t5Name == "google/t5-v1_1-base" && phenaki.textEmbedDim == 768)
        #expect(phenaki.steps == 18 && phenaki.condDropProb == 0.25 && phenaki.maxTextLen == 128)
        #expect(phenaki.sampleTemperature == 0 && !phenaki.selfTokenCritic && phenaki.criticLossWeight == 1)
        #expect(phenaki.criticNoiseAnnealSchedule == .decay && phenaki.criticTrainSampleTemperature == 1)
        let critic = try PhenakiConfig.decode(json: try configJSON(.tiny, [
            "critic": ["dim": 16, "num_tokens": 256, "max_seq_len": 16, "depth": 1],
        ])).critic
        #expect(critic == CriticConfig(dim: 16, numTokens: 256, maxSeqLen: 16, depth: 1, hasCrossAttn: false,
                                       dimContext: 16, dimHead: 64, heads: 8, attnDropout: 0, ffDropout: 0, ffMult: 4))
    }

    @Test func imageSizeIsAnIntegerOrHeightAndWidth() throws {
        let square = try PhenakiConfig.decode(json: configJSON(.tiny, ["cvivit.image_size": 16]))
        #expect(square.cvivit.imageSize == SpatialSize(height: 16, width: 16))
        let pair = try PhenakiConfig.decode(json: configJSON(.tiny, ["cvivit.image_size": [32, 16], "cvivit.patch_size": [8, 4]]))
        #expect(pair.cvivit.imageSize == SpatialSize(height: 32, width: 16))
        #expect(pair.cvivit.patchGrid == SpatialSize(height: 4, width: 4))
        #expect(pair.tokensPerFrame == 16)
        // A square written as a pair reads as the same config; a rectangle writes as [h, w].
        #expect(try PhenakiConfig.decode(json: configJSON(.tiny, ["cvivit.image_size": [16, 16]])) == .tiny)
        let written = try configObject(pair.jsonString())["cvivit"] as? [String: Any]
        #expect(written?["image_size"] as? [Int] == [32, 16])
        #expect(written?["patch_size"] as? [Int] == [8, 4])
    }

    @Test("token counts follow phenaki-pytorch's num_tokens_per_frames",
          arguments: [(1, 1, 4), (3, 2, 8), (5, 3, 12), (7, 4, 16)])
    func tokenCounts(frames: Int, tokenFrames: Int, tokens: Int) {
        #expect(PhenakiConfig.tiny.cvivit.tokenFrames(frames: frames) == tokenFrames)
        #expect(PhenakiConfig.tiny.sequenceLength(frames: frames) == tokens)
        #expect(PhenakiConfig.tiny.cvivit.videoPatchShape(frames: frames) == [tokenFrames, 2, 2])
    }

    @Test func loadReadsAFile() throws {
        let path = NSTemporaryDirectory() + "phenaki-config-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PhenakiConfig.small.jsonString().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try PhenakiConfig.load(path: path) == .small)
    }
}

/// The JSON text as a dictionary.
func configObject(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// `config`'s JSON with `edits` applied: keys are `section.key` (or a section), `nil` removes.
func configJSON(_ config: PhenakiConfig, _ edits: [String: Any?]) throws -> String {
    var object = try configObject(config.jsonString())
    for (path, value) in edits {
        let parts = path.split(separator: ".").map(String.init)
        if parts.count == 1 {
            object[parts[0]] = value.flatMap { $0 }
        } else {
            var section = object[parts[0]] as? [String: Any] ?? [:]
            section[parts[1]] = value.flatMap { $0 }
            object[parts[0]] = section
        }
    }
    return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}
