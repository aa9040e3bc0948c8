import ArgumentParser
import GraphCompiler
import TensorGraph

/// The dump formats `phenaki graph dump --format` accepts.
enum DumpFormat: String, CaseIterable, ExpressibleByArgument {
    case text, dot, json

    /// `graph` rendered in this format.
    func render(_ graph: Graph) throws -> String {
        switch self {
        case .text: return textDump(graph)
        case .dot: return dotDump(graph)
        case .json: return try jsonDump(graph)
        }
    }
}
