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
