import ArgumentParser
import Foundation
import GraphCompiler
import PhenakiGraphs
import TensorGraph

/// `phenaki graph dump --model NAME [--format text|dot|json] [--backward]`.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a model's graph as text, Graphviz DOT or JSON.",
        discussion: """
            Models: \(ModelZoo.names.joined(separator: ", ")).
            Render DOT with: phenaki graph dump --model transformer-block --format dot | dot -Tsvg > graph.svg
            """
    )

    @Option(help: "The model to trace (\(ModelZoo.names.joined(separator: ", "))).")
    var model: String

    @Option(help: "Output format: text, dot or json.")
    var format: DumpFormat = .text

    @Flag(help: "Dump the joint forward + backward graph, with outputs grad:<parameter> for every parameter.")
    var backward = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; valid models are: \(ModelZoo.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            var graph = try ModelZoo.graph(named: model)
            if backward {
                graph = try addingParameterGradients(to: graph, loss: "loss")
            }
            FileHandle.standardOutput.write(Data(try format.render(graph).utf8))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
