import Foundation
import Testing

/// `phenaki bench ... --json`: the last line of standard output is the contract other tooling
/// parses. These tests check its shape, not the speed (a benchmark is a program, not a test).
/// Serialized: the cases time the whole machine.
@Suite(.serialized, .enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct CLIBenchTests {
    /// The keys every `--json` line has.
    static let contractKeys = [
        "case", "median_step_s", "min_step_s", "max_step_s", "gflop_per_step", "gflops", "sgemm_peak_gflops",
        "arena_bytes", "lower_bound_bytes", "persistent_bytes", "peak_rss_bytes", "compile_s", "kernels_per_step",
    ]

    /// The parsed last line: contract numbers, and `extra` facts (written as strings).
    struct Line {
        var object: [String: Any]
        /// A contract number (NaN when absent or not a number, which fails any comparison).
        subscript(_ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? .nan }
        /// An `extra` fact read as a number.
        func extra(_ key: String) -> Double { (object[key] as? String).flatMap(Double.init) ?? .nan }
        var name: String? { object["case"] as? String }
    }

    /// Runs `phenaki bench ARGUMENTS --json` and returns the JSON object on its last line.
    private func bench(_ arguments: String...) throws -> Line {
        let result = try runProcess(try #require(phenakiExecutable), ["bench"] + arguments + ["--json"])
        #expect(result.status == 0 && !result.signaled, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last, "no output")
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        let line = Line(object: try #require(object, "the last line is not a JSON object: \(last)"))
        for key in Self.contractKeys { #expect(line.object[key] != nil, "missing \(key) in \(last)") }
        for key in Self.contractKeys where key != "case" { #expect(!line[key].isNaN, "\(key) is not a number") }
        // The lines before it are the human-readable summary of the same run.
        #expect(result.stdout.hasPrefix("case              \(line.name ?? "?")\n"))
        // Medians within [min, max], all times positive.
        #expect(line["min_step_s"] > 0 && line["min_step_s"] <= line["median_step_s"]
                    && line["median_step_s"] <= line["max_step_s"], "\(last)")
        return line
    }

    @Test func sgemm() throws {
        let json = try bench("sgemm", "--steps", "1")
        #expect(json.name == "sgemm")
        // 2·2048³ flop per step; the peak is this run's rate.
        #expect(abs(json["gflop_per_step"] - 2 * pow(2048, 3) / 1e9) < 1e-9)
        #expect(json["gflops"] > 0 && json["gflops"] == json["sgemm_peak_gflops"])
        #expect(abs(json["gflops"] * json["median_step_s"] - json["gflop_per_step"]) < 1e-6)
        #expect(json["peak_rss_bytes"] > 0)
        #expect(json.object["blas_core"] is String && json.extra("threads") >= 1)
    }

    @Test func transformerBlockTrain() throws {
        let json = try bench("transformer-block-train", "--batch", "1", "--steps", "1")
        #expect(json.name == "transformer-block-train")
        #expect(json.extra("batch") == 1)
        #expect(json["lower_bound_bytes"] > 0 && json["arena_bytes"] >= json["lower_bound_bytes"])
        // Parameters and both Adam moments of a d=512 block (3.1 M parameters) alone take 37 MB.
        #expect(json["persistent_bytes"] > 36e6)
        #expect(json["kernels_per_step"] > 0 && json["compile_s"] > 0 && json["gflop_per_step"] > 0)
        #expect(json["sgemm_peak_gflops"] > 0)
        #expect(json["peak_rss_bytes"] >= json["arena_bytes"] + json["persistent_bytes"])
    }

    @Test func memory() throws {
        let json = try bench("memory", "--steps", "1")
        #expect(json.name == "memory")
        #expect(json["gflop_per_step"] == 0)
        let (copy, softmax, gelu) = (json.extra("copy_gbps"), json.extra("softmax_gbps"), json.extra("gelu_mul_gbps"))
        #expect(copy > 0 && softmax > 0 && gelu > 0)
        // The ratios are the printed bandwidths' quotients (up to the printed digits).
        #expect(abs(json.extra("softmax_vs_copy") - softmax / copy) < 2e-3 + 0.01 * softmax / copy)
        #expect(abs(json.extra("gelu_mul_vs_copy") - gelu / copy) < 2e-3 + 0.01 * gelu / copy)
        // A step is one softmax over 4096×577: 2·4·rows·cols bytes at softmax_gbps.
        #expect(abs(2 * 4 * 4096 * 577 / json["median_step_s"] / 1e9 - softmax) < 0.01 * softmax + 0.01)
    }

    /// `phenaki-sample` on tiny: one whole sample (MaskGit loop + decode) per step, its split and
    /// its work. `sample`, its old name, still runs it.
    @Test(arguments: [("phenaki-sample", "none"), ("phenaki-sample", "token"), ("sample", "self")])
    func phenakiSample(name: String, critic: String) throws {
        let json = try bench(name, "--steps", "2", "--critic", critic)
        #expect(json.name == "phenaki-sample")
        #expect(json.object["critic"] as? String == critic && json.object["config"] as? String == "tiny")
        // tiny: 4 sampling steps, 7 frames (16 tokens, its max_seq_len); MaskGit's transformer, its
        // head over all 16 positions and over 8, plus the critic's.
        #expect(json.extra("sampling_steps") == 4 && json.extra("frames") == 7 && json.extra("batch") == 1)
        #expect(json.extra("plans_compiled") == (critic == "none" ? 3 : 4))
        // With two runs the median is the mean, so the loop and decode medians add up to it.
        #expect(abs(json.extra("loop_s") + json.extra("decode_s") - json["median_step_s"]) < 2e-4)
        #expect(abs(json.extra("loop_gflop") + json.extra("decode_gflop") - json["gflop_per_step"]) < 2e-3)
        #expect(json.extra("loop_gflop") > 0 && json.extra("decode_gflop") > 0)
        // The text's keys/values and the position bias left the loop.
        #expect(json.extra("hoisted_bytes") > 0)
        #expect(json["compile_s"] > 0 && json["kernels_per_step"] > 0 && json["sgemm_peak_gflops"] > 0)
    }

    @Test("bad bench arguments exit non-zero with a message", arguments: [
        (["sgemm", "--steps", "0"], "--steps must be at least 1, got 0"),
        (["transformer-block-train", "--batch", "0"], "--batch must be at least 1, got 0"),
        (["sgemm", "--threads", "0"], "--threads must be at least 1, got 0"),
        (["gpt-9"], "The value 'gpt-9' is invalid for '<bench-case>'"),
        (["sgemm", "--critic", "self"], "--critic applies to maskgit-train and phenaki-sample, not 'sgemm'"),
    ])
    func badArguments(arguments: [String], message: String) throws {
        let result = try runProcess(try #require(phenakiExecutable), ["bench"] + arguments)
        #expect(!result.signaled, "killed by signal \(result.status)")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
