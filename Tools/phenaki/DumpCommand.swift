import ArgumentParser
import Foundation
import GraphCompiler
import Phenaki
import PhenakiGraphs
import TensorGraph

/// `phenaki graph dump --model NAME [--format text|dot|json] [--backward]`.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a model's graph as text, Graphviz DOT or JSON.",
        discussion: """
            Models: \(allModelNames.joined(separator: ", ")); the Phenaki ones take --variant/--config and --frames.
            Render DOT with: phenaki graph dump --model transformer-block --format dot | dot -Tsvg > graph.svg
            """
    )

    @Option(help: "The model to trace (\(allModelNames.joined(separator: ", "))).")
    var model: String

    @Option(help: "Batch size (default: the model's own; 1 for the Phenaki models).")
    var batch: Int?

    @OptionGroup var phenakiOptions: PhenakiModelOptions

    @Option(help: "Output format: text, dot or json.")
    var format: DumpFormat = .text

    @Flag(help: "Dump the joint forward + backward graph, with outputs grad:<parameter> for every parameter.")
    var backward = false

    func validate() throws {
        try phenakiOptions.validate(model: model)
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
    }

    func run() throws {
        do {
            var graph = try phenakiOptions.graph(model: model, batch: batch, train: false, options: TrainingOptions())
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
