import Foundation
import Phenaki
import Testing

/// `phenaki config show` and `phenaki config validate`, through the built executable.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class ConfigCLITests {
    /// A fresh directory for this test's config files.
    let directory = NSTemporaryDirectory() + "phenaki-config-cli-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func phenaki(_ arguments: String...) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// Writes `json` to a file in the test directory and returns its path.
    private func file(_ json: String, name: String = "config.json") throws -> String {
        let path = directory + "/" + name
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("show --variant prints the variant's JSON", arguments: PhenakiConfig.variantNames)
    func showVariant(name: String) throws {
        let result = try phenaki("config", "show", "--variant", name)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try PhenakiConfig.variant(named: name)).jsonString())
        #expect(try PhenakiConfig.decode(json: result.stdout) == PhenakiConfig.variant(named: name))
    }

    @Test("validate names the quantizer the config selects: FSQ, lookup-free or vector")
    func validateNamesTheQuantizer() throws {
        let fsq = try phenaki("config", "validate", "--variant", "demo")
        #expect(fsq.status == 0, "\(fsq.stderr)")
        #expect(fsq.stdout.contains("1000 (finite scalar quantization, levels 8·5·5·5)"), "\(fsq.stdout)")
        let lfq = try phenaki("config", "validate", "--variant", "tiny")
        #expect(lfq.stdout.contains("256 (lookup-free quantization)"), "\(lfq.stdout)")
    }

    @Test("show --config validates and normalises: defaults written out, keys sorted, squares as one integer")
    func showConfigNormalises() throws {
        let path = try file("""
            {"maskgit": {"num_tokens": 256, "max_seq_len": 16, "dim": 32, "depth": 1, "dim_context": 32,
                         "heads": 2, "dim_head": 8},
             "phenaki": {"text_encoder": "precomputed", "text_embed_dim": 32, "steps": 4, "max_text_len": 16},
             "cvivit": {"dim": 32, "codebook_size": 256, "image_size": [16, 16], "patch_size": 8,
                        "temporal_patch_size": 2, "spatial_depth": 1, "temporal_depth": 1, "dim_head": 8,
                        "heads": 2, "use_vgg_and_gan": false}}
            """)
        let result = try phenaki("config", "show", "--config", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == PhenakiConfig.tiny.jsonString())
    }

    @Test func validatePrintsTheDerivedNumbers() throws {
        let result = try phenaki("config", "validate", "--variant", "paper", "--frames", "17")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("tokens per frame   64 (8 × 8 patches)"), "\(result.stdout)")
        #expect(lines.contains("max frames         31 (maskgit.max_seq_len 1024, critic.max_seq_len 1024)"))
        #expect(lines.contains("token frames       9"))
        #expect(lines.contains("sequence length    576"))
        #expect(lines.last == "ok")

        let path = try file(PhenakiConfig.small.jsonString())
        let small = try phenaki("config", "validate", "--config", path)
        #expect(small.status == 0, "\(small.stderr)")
        #expect(small.stdout.contains("config             \(path)\n"))
        #expect(small.stdout.contains("tokens per frame   64 (8 × 8 patches)\n"))
        #expect(!small.stdout.contains("sequence length"))
    }

    @Test func validateFailsWithBothNumbers() throws {
        let path = try file(configJSON(.tiny, ["maskgit.num_tokens": 1000]))
        let result = try phenaki("config", "validate", "--config", path)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: maskgit.num_tokens is 1000 but cvivit.codebook_size is 256"), "\(result.stderr)")

        let long = try phenaki("config", "validate", "--variant", "tiny", "--frames", "9")
        #expect(long.status == 1)
        #expect(long.stderr.contains("maskgit.max_seq_len is 16 but 9 frames make 20 tokens"), "\(long.stderr)")

        let show = try phenaki("config", "show", "--config", path)
        #expect(show.status == 1 && show.stdout.isEmpty)
        #expect(show.stderr.contains("1000") && show.stderr.contains("256"))
    }

    @Test func badFilesAndKeysAreReported() throws {
        let unknown = try phenaki("config", "show", "--config", file(configJSON(.tiny, ["cvivit.patch": 8])))
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown key 'patch' in section 'cvivit'; valid keys are: dim, "), "\(unknown.stderr)")
        let missing = try phenaki("config", "show", "--config", directory + "/none.json")
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: cannot read config \(directory)/none.json: no such file\n")
        let broken = try phenaki("config", "show", "--config", file("{\"cvivit\": [", name: "broken.json"))
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("error: \(directory)/broken.json is not a valid config: "), "\(broken.stderr)")
    }

    @Test func variantOrConfigIsRequiredAndExclusive() throws {
        let unknown = try phenaki("config", "show", "--variant", "huge")
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown variant 'huge'; valid variants are: tiny, demo, small, paper"))
        let neither = try phenaki("config", "show")
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("give --variant NAME or --config FILE"))
        let both = try phenaki("config", "validate", "--variant", "tiny", "--config", "x.json")
        #expect(both.status == 64)
        #expect(both.stderr.contains("not both"))
    }
}
