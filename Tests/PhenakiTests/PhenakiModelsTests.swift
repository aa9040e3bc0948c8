import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import TensorGraph
import Testing

/// The Phenaki model graphs (`PhenakiModels`) on the `tiny` variant: they trace, dump and plan
/// tightly; the CLI takes them.
@Suite struct PhenakiModelsTests {
    @Test(arguments: PhenakiModels.names)
    func dumpsAndPlans(name: String) throws {
        let graph = try PhenakiModels.graph(named: name, config: .tiny)
        let text = textDump(graph)
        #expect(!text.isEmpty)
        let plan = try compile(graph)
        #expect(plan.lowerBoundBytes > 0)
        #expect(Double(plan.activationBytes) <= 1.10 * Double(plan.lowerBoundBytes),
                "\(name): arena \(plan.activationBytes), lower bound \(plan.lowerBoundBytes)")
        if PhenakiModels.hasLoss(name) { #expect(graph.outputs.contains { $0.name == "loss" }) }
    }

    @Test func defaultFrames() throws {
        // tiny: 4 tokens a frame, max_seq_len 16 → 7 frames; 17 frames do not fit → 1 + 2.
        #expect(PhenakiModels.defaultFrames(for: "maskgit", config: .tiny) == 7)
        #expect(PhenakiModels.defaultFrames(for: "cvivit", config: .tiny) == 3)
        #expect(PhenakiModels.defaultFrames(for: "cvivit", config: .paper) == 17)
        let graph = try PhenakiModels.graph(named: "cvivit-encode", config: .tiny, batch: 2, frames: 5)
        let ids = try #require(graph.outputs.first { $0.name == "ids" })
        #expect(graph[ids.node].type.shape == [2, 3, 2, 2])
    }

    /// The C-ViViT graphs follow the config's quantizer: `lookup_free_quantization: false` builds
    /// the cosine VectorQuantize (parameter `vq._codebook.embed`), `fsq_levels` FSQ; each graph
    /// compiles and runs, and decoding the encoded ids gives the video shape back.
    @Test(arguments: ["vq", "fsq"]) func quantizerFollowsConfig(_ kind: String) throws {
        let edits: [String: Any] = kind == "vq" ? ["cvivit.lookup_free_quantization": false]
            : ["cvivit.fsq_levels": [4, 4, 4, 4], "cvivit.lookup_free_quantization": false]
        let parameter = kind == "vq" ? "vq._codebook.embed" : "vq.project_out.weight"
        let config = try PhenakiConfig.decode(json: configJSON(.tiny, edits))
        var weights: [String: HostTensor] = [:]
        var ids: HostTensor?
        for name in ["cvivit", "cvivit-encode", "cvivit-decode", "cvivit-train"] {
            let graph = try PhenakiModels.graph(named: name, config: config)
            #expect(graph.parameters.contains { $0.name == parameter }, "\(name): no \(parameter)")
            if name == "cvivit-train" { _ = try compile(graph); continue }
            for p in graph.parameters where weights[p.name] == nil {
                let count = p.node.type.shape.reduce(1, *)
                weights[p.name] = HostTensor(shape: p.node.type.shape, dtype: .float32,
                                             scalars: (0..<count).map { sin(Double($0) * 0.37 + Double(p.name.count)) * 0.2 })
            }
            var feeds = weights
            let video = HostTensor(shape: [1, 3, 3, 16, 16], dtype: .float32, scalars: (0..<(3 * 3 * 256)).map { cos(Double($0) * 0.11) })
            feeds["video"] = video
            if let ids { feeds["ids"] = HostTensor(shape: [1, ids.count], dtype: .int32, scalars: ids.scalars) }
            let out = try PlanExecutor(plan: compile(graph), threads: 2).run(feeds: feeds)
            switch name {
            case "cvivit":
                let loss = try #require(out["loss"]).scalars[0]
                let recon = try #require(out["recon"])
                let mse = zip(recon.scalars, video.scalars).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(video.count)
                #expect(abs(try #require(out["recon_loss"]).scalars[0] - mse) <= 1e-4 * mse)
                #expect(loss.isFinite)
            case "cvivit-encode":
                ids = out["ids"]
                #expect(ids!.shape == [1, 2, 2, 2])
                #expect(ids!.scalars.allSatisfy { $0 >= 0 && $0 < Double(config.cvivit.codebookSize) })
            default:
                #expect(try #require(out["video"]).shape == [1, 3, 3, 16, 16])
            }
        }
    }

    @Test func errors() throws {
        #expect(throws: PhenakiModelError.unknownModel(name: "gpt", valid: PhenakiModels.names)) {
            try PhenakiModels.graph(named: "gpt", config: .tiny)
        }
        #expect(throws: PhenakiModelError.self) { try PhenakiModels.graph(named: "maskgit", config: .tiny, frames: 9) }
        #expect(throws: PhenakiModelError.self) { try PhenakiModels.graph(named: "cvivit", config: .tiny, frames: 4) }
    }
}

@Suite(.serialized, .enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct PhenakiModelsCLITests {
    @Test func planMaskGit() throws {
        let result = try runProcess(try #require(phenakiExecutable), ["graph", "plan", "--model", "maskgit", "--variant", "tiny"])
        #expect(result.status == 0 && !result.signaled, "\(result.stderr)")
        #expect(result.stdout.contains("arena / bound"))
    }

    @Test func unknownModelListsAll() throws {
        let result = try runProcess(try #require(phenakiExecutable), ["graph", "plan", "--model", "gpt"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("valid models are: mlp, transformer-block, " + PhenakiModels.names.joined(separator: ", ")),
                "\(result.stderr)")
    }

    @Test func benchCViViTEncode() throws {
        let result = try runProcess(try #require(phenakiExecutable),
                                    ["bench", "cvivit-encode", "--variant", "tiny", "--steps", "1", "--json"])
        #expect(result.status == 0 && !result.signaled, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        for key in CLIBenchTests.contractKeys { #expect(object[key] != nil, "missing \(key) in \(last)") }
        #expect(object["case"] as? String == "cvivit-encode")
    }
}
