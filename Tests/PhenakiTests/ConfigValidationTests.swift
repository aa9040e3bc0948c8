import Foundation
import Phenaki
import Testing

/// Configs that cannot work are refused up front, with messages that name the numbers.
struct ConfigValidationTests {
    /// The error decoding (and then validating, with `frames`) `json` throws.
    private func error(_ json: String, frames: Int? = nil) throws -> ConfigError {
        do {
            try PhenakiConfig.decode(json: json).validate(frames: frames)
        } catch let error as ConfigError {
            return error
        }
        Issue.record("no error for \(json)")
        throw CancellationError()
    }

    private func message(_ json: String, frames: Int? = nil) throws -> String {
        "\(try error(json, frames: frames))"
    }

    @Test func maskGitVocabularyMustBeTheCodebook() throws {
        let thrown = try error(configJSON(.paper, ["maskgit.num_tokens": 5000]))
        #expect(thrown == .numTokensMismatch(section: "maskgit", numTokens: 5000, codebookSize: 65536))
        #expect("\(thrown)".contains("maskgit.num_tokens is 5000 but cvivit.codebook_size is 65536"))
    }

    @Test func criticVocabularyMustBeTheCodebook() throws {
        let text = try message(configJSON(.paper, ["critic.num_tokens": 4096]))
        #expect(text.contains("critic.num_tokens is 4096 but cvivit.codebook_size is 65536"), "\(text)")
    }

    @Test func lookupFreeQuantizationNeedsAPowerOfTwo() throws {
        let json = try configJSON(.paper, ["cvivit.codebook_size": 5000, "maskgit.num_tokens": 5000, "critic.num_tokens": 5000])
        let text = try message(json)
        #expect(try error(json) == .codebookNotPowerOfTwo(codebookSize: 5000))
        #expect(text.contains("5000") && text.contains("try 8192"), "\(text)")
        // Vector quantization takes any size.
        let vq = try PhenakiConfig.decode(json: configJSON(.paper, [
            "cvivit.codebook_size": 5000, "maskgit.num_tokens": 5000, "critic.num_tokens": 5000,
            "cvivit.lookup_free_quantization": false,
        ]))
        try vq.validate(frames: 17)
    }

    @Test func fsqLevelsMustMakeTheCodebook() throws {
        // tiny: codebook 256; 8 × 5 × 5 × 5 = 1000.
        let json = try configJSON(.tiny, ["cvivit.fsq_levels": [8, 5, 5, 5]])
        #expect(try error(json) == .fsqLevelsMismatch(levels: [8, 5, 5, 5], product: 1000, codebookSize: 256))
        let text = try message(json)
        #expect(text.contains("cvivit.fsq_levels [8, 5, 5, 5] make 8 × 5 × 5 × 5 = 1000 codes but cvivit.codebook_size is 256")
                && text.contains("set codebook_size to 1000"), "\(text)")
        // A level below 2 cannot be bounded.
        let one = try error(configJSON(.tiny, ["cvivit.fsq_levels": [256, 1]]))
        #expect(one == .invalidValue(section: "cvivit", key: "fsq_levels", message: "is [256, 1]; every level must be at least 2, got 1"))
        #expect(try error(configJSON(.tiny, ["cvivit.fsq_levels": [Int]()])) == .invalidValue(
            section: "cvivit", key: "fsq_levels", message: "is empty; give at least one level (e.g. [8, 5, 5, 5])"))
        #expect(try error(configJSON(.tiny, ["cvivit.fsq_levels": "8,5"])) == .wrongType(
            section: "cvivit", key: "fsq_levels", expected: "an integer or a list of integers"))
        // Matching levels select FSQ; a non-power-of-two codebook is then fine.
        let fsq = try PhenakiConfig.decode(json: configJSON(.tiny, [
            "cvivit.fsq_levels": [8, 5, 5, 5], "cvivit.codebook_size": 1000, "maskgit.num_tokens": 1000,
        ]))
        try fsq.validate()
        #expect(fsq.cvivit.fsqLevels == [8, 5, 5, 5])
    }

    @Test func imageMustTileIntoPatches() throws {
        let json = try configJSON(.paper, ["cvivit.image_size": [256, 100]])
        #expect(try error(json) == .imageNotDivisible(imageSize: SpatialSize(height: 256, width: 100), patchSize: 32))
        #expect(try message(json).contains("cvivit.image_size 256 × 100 is not divisible by cvivit.patch_size 32 × 32"))
    }

    /// With `use_vgg_and_gan` the discriminator halves the image several times; a size it cannot
    /// halve is refused up front (and accepted with the GAN off).
    @Test func ganImageSizeMustSuitTheDiscriminator() throws {
        let bad = try configJSON(.paper, ["cvivit.image_size": [256, 288], "cvivit.use_vgg_and_gan": true])
        #expect(try message(bad).contains("cvivit.image_size"))
        #expect(try message(bad).contains("use_vgg_and_gan"))
        let off = try configJSON(.paper, ["cvivit.image_size": [256, 288], "cvivit.use_vgg_and_gan": false])
        _ = try PhenakiConfig.decode(json: off)
    }

    @Test func sequenceMustFitMaxSeqLen() throws {
        // 9 frames of tiny: 1 + 8 / 2 = 5 token frames of 2 × 2 = 20 tokens, over 16.
        let thrown = try error(PhenakiConfig.tiny.jsonString(), frames: 9)
        #expect(thrown == .sequenceTooLong(section: "maskgit", maxSeqLen: 16, tokens: 20, frames: 9))
        #expect("\(thrown)".contains("maskgit.max_seq_len is 16 but 9 frames make 20 tokens"))
        try PhenakiConfig.tiny.validate(frames: 7)
        // Even one frame must fit.
        let short = try message(configJSON(.tiny, ["maskgit.max_seq_len": 3]))
        #expect(short.contains("maskgit.max_seq_len is 3 but 1 frame make"), "\(short)")
        #expect(short.contains("4 tokens"), "\(short)")
        let critic = try message(configJSON(.paper, ["critic.max_seq_len": 512]), frames: 17)
        #expect(critic.contains("critic.max_seq_len is 512 but 17 frames make 576 tokens"), "\(critic)")
    }

    @Test func framesMustSuitTheTemporalPatch() throws {
        let thrown = try error(PhenakiConfig.tiny.jsonString(), frames: 6)
        #expect(thrown == .framesNotAligned(frames: 6, temporalPatchSize: 2))
        #expect("\(thrown)".contains("try 5 or 7"))
        #expect(try message(PhenakiConfig.tiny.jsonString(), frames: 0).contains("frames is 0"))
    }

    @Test func textEmbeddingsMustBeAsWideAsTheCrossAttention() throws {
        let thrown = try error(configJSON(.paper, ["maskgit.dim_context": 512]))
        #expect(thrown == .textEmbedDimMismatch(section: "maskgit", textEmbedDim: 768, dimContext: 512))
        #expect("\(thrown)".contains("phenaki.text_embed_dim is 768 but maskgit.dim_context is 512"))
        // The default t5_name sets the width; another T5 changes it.
        let large = try message(configJSON(.paper, ["phenaki.t5_name": "google/t5-v1_1-large", "phenaki.text_embed_dim": nil]))
        #expect(large.contains("phenaki.text_embed_dim is 1024 but maskgit.dim_context is 768"), "\(large)")
        let critic = try message(configJSON(.paper, ["critic.dim_context": 512]))
        #expect(critic.contains("phenaki.text_embed_dim is 768 but critic.dim_context is 512"), "\(critic)")
        // An unconditional MaskGit reads no text.
        let unconditional = try PhenakiConfig.decode(json: configJSON(.tiny, ["maskgit.unconditional": true, "maskgit.dim_context": 8]))
        try unconditional.validate()
        let minilm = try message(configJSON(.small, ["phenaki.text_embed_dim": 512]))
        #expect(minilm.contains("phenaki.text_embed_dim is 512 but the minilm encoder makes 384-wide"), "\(minilm)")
    }

    @Test func textEmbedDimIsRequiredWhereNoEncoderFixesIt() throws {
        let precomputed = try message(configJSON(.tiny, ["phenaki.text_embed_dim": nil]))
        #expect(precomputed == "phenaki.text_embed_dim is required with text_encoder 'precomputed'")
        let unknownT5 = try message(configJSON(.paper, ["phenaki.t5_name": "my/t5", "phenaki.text_embed_dim": nil]))
        #expect(unknownT5.contains("the width of t5_name 'my/t5' is not known"), "\(unknownT5)")
        let given = try PhenakiConfig.decode(json: configJSON(.paper, ["phenaki.t5_name": "my/t5", "phenaki.text_embed_dim": 768]))
        try given.validate()
    }

    @Test func criticMustMatchMaskGit() throws {
        let both = try message(configJSON(.paper, ["phenaki.self_token_critic": true]))
        #expect(both.contains("phenaki.self_token_critic is true but a critic section is given"), "\(both)")
        let cross = try message(configJSON(.paper, ["critic.has_cross_attn": false]))
        #expect(cross.contains("critic.has_cross_attn is false but maskgit.unconditional is false"), "\(cross)")
    }

    @Test func unknownKeysAreListedWithTheValidOnes() throws {
        let thrown = try error(configJSON(.tiny, ["cvivit.dimm": 3]))
        guard case .unknownKeys(let section, let keys, let valid) = thrown else {
            Issue.record("\(thrown)")
            return
        }
        #expect(section == "cvivit" && keys == ["dimm"])
        #expect(valid.contains("dim") && valid.contains("codebook_size") && valid.contains("use_vgg_and_gan"))
        #expect("\(thrown)".hasPrefix("unknown key 'dimm' in section 'cvivit'; valid keys are: dim, "))
        let top = try message(configJSON(.tiny, ["trainer": ["lr": 1]]))
        #expect(top == "unknown key 'trainer' in the top level; valid keys are: cvivit, maskgit, critic, phenaki")
        let maskgit = try message(configJSON(.tiny, ["maskgit.codebook_size": 256, "maskgit.zzz": 1]))
        #expect(maskgit.hasPrefix("unknown keys 'codebook_size', 'zzz' in section 'maskgit'"), "\(maskgit)")
    }

    @Test("a wrongly typed value names its key and the type it needs", arguments: [
        ("cvivit.dim", #""512""#, "cvivit.dim must be an integer"),
        ("cvivit.dim", "1.5", "cvivit.dim must be an integer"),
        ("cvivit.image_size", #""big""#, "cvivit.image_size must be an integer or [height, width]"),
        ("cvivit.image_size", "[1, 2, 3]", "cvivit.image_size must be an integer or [height, width]"),
        ("cvivit.use_vgg_and_gan", #""yes""#, "cvivit.use_vgg_and_gan must be true or false"),
        ("cvivit.discr_attn_res_layers", #""16""#, "cvivit.discr_attn_res_layers must be an integer or a list of integers"),
        ("maskgit.ff_mult", #""4""#, "maskgit.ff_mult must be a number"),
        ("maskgit", "3", "maskgit must be a JSON object"),
        ("phenaki.t5_name", "5", "phenaki.t5_name must be a string"),
    ])
    func wrongTypes(key: String, valueJSON: String, expected: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(valueJSON.utf8), options: .fragmentsAllowed)
        #expect(try message(configJSON(.tiny, [key: value])) == expected)
    }

    @Test func missingRequiredKeysAreNamed() throws {
        #expect(try message(configJSON(.tiny, ["cvivit.codebook_size": nil])) == "cvivit.codebook_size is required")
        #expect(try message(configJSON(.tiny, ["maskgit": nil])) == "maskgit is required")
        // The phenaki section is optional: every key has a default.
        #expect(try message(configJSON(.tiny, ["phenaki": nil])).contains("phenaki.text_embed_dim is 768 but maskgit.dim_context is 32"))
    }

    @Test func choicesListTheValidValues() throws {
        #expect(try message(configJSON(.tiny, ["phenaki.text_encoder": "clip"]))
            == "phenaki.text_encoder is 'clip'; valid values are: 't5', 'minilm', 'precomputed'")
        #expect(try message(configJSON(.tiny, ["phenaki.critic_noise_anneal_schedule": "cosine"]))
            == "phenaki.critic_noise_anneal_schedule is 'cosine'; valid values are: 'fixed', 'decay', 'increase'")
    }

    @Test func outOfRangeValuesAreRefused() throws {
        #expect(try message(configJSON(.tiny, ["cvivit.heads": 0])) == "cvivit.heads is 0; it must be at least 1")
        #expect(try message(configJSON(.tiny, ["phenaki.cond_drop_prob": 0]))
            .hasPrefix("phenaki.cond_drop_prob is 0.0; it must be in (0, 1]"))
        #expect(try message(configJSON(.tiny, ["maskgit.attn_dropout": 1.5])) == "maskgit.attn_dropout is 1.5; it must be in [0, 1)")
    }

    @Test func unknownVariantsListTheValidOnes() {
        #expect(throws: ConfigError.unknownVariant(name: "huge", valid: ["tiny", "demo", "small", "paper"])) {
            try PhenakiConfig.variant(named: "huge")
        }
        #expect("\(ConfigError.unknownVariant(name: "huge", valid: PhenakiConfig.variantNames))"
            == "unknown variant 'huge'; valid variants are: tiny, demo, small, paper")
    }

    @Test func badFilesAreNamed() throws {
        #expect(throws: ConfigError.unreadable(path: "/nonexistent/x.json", reason: "no such file")) {
            try PhenakiConfig.load(path: "/nonexistent/x.json")
        }
        let notJSON = try error("{\"cvivit\": ")
        guard case .invalidJSON(let source, _) = notJSON else {
            Issue.record("\(notJSON)")
            return
        }
        #expect(source == "the config")
        #expect(try message("[1, 2]") == "the config is not a valid config: the top level must be a JSON object")
    }
}
