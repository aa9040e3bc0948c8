import Foundation
import GraphCompiler
import PhenakiGraphs
import TensorGraph
import Testing

@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct CLITests {
    private func phenaki(_ arguments: String...) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    @Test func jsonDumpDecodesToTheZooGraph() throws {
        let result = try phenaki("graph", "dump", "--model", "mlp", "--format", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try graphFromJSON(result.stdout) == ModelZoo.graph(named: "mlp"))
    }

    @Test func textDumpIsTheDefault() throws {
        let result = try phenaki("graph", "dump", "--model", "transformer-block")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == textDump(try ModelZoo.graph(named: "transformer-block")))
    }

    @Test func backwardAddsGradientOutputs() throws {
        let result = try phenaki("graph", "dump", "--model", "mlp", "--backward")
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["0.weight", "0.bias", "2.weight", "2.bias"] {
            #expect(result.stdout.contains("output grad:\(name) = %"), "\(name)")
        }
        #expect(result.stdout.contains("@backward/"))
    }

    @Test func unknownModelFailsWithTheValidNames() throws {
        let result = try phenaki("graph", "dump", "--model", "gpt")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("unknown model 'gpt'; valid models are: mlp, transformer-block"))
    }

    @Test func unknownFormatFails() throws {
        let result = try phenaki("graph", "dump", "--model", "mlp", "--format", "svg")
        #expect(result.status != 0)
        #expect(result.stderr.contains("svg"))
    }
}
