import TensorGraph

/// A named graph-to-graph rewrite.
public struct GraphPass: Sendable {
    public let name: String
    public let run: @Sendable (Graph) throws -> Graph
    public init(_ name: String, _ run: @escaping @Sendable (Graph) throws -> Graph) {
        self.name = name
        self.run = run
    }
}

/// Runs passes in order. In debug builds (or when `verifyAfterEachPass` is set) the verifier
/// runs after every pass, and a failure names the pass that broke the graph.
public struct PassManager: Sendable {
    public var passes: [GraphPass]
    public var verifyAfterEachPass: Bool

    public init(_ passes: [GraphPass], verifyAfterEachPass: Bool = _isDebugAssertConfiguration()) {
        self.passes = passes
        self.verifyAfterEachPass = verifyAfterEachPass
    }

    public func run(_ graph: Graph) throws -> Graph {
        var current = graph
        for pass in passes {
            current = try pass.run(current)
            if verifyAfterEachPass {
                do {
                    try verify(current)
                } catch {
                    throw GraphError.invalid("after pass \(pass.name): \(error)")
                }
            }
        }
        return current
    }

    /// The canonicalisation passes that run on every traced or differentiated graph.
    public static let canonicalize = PassManager([.commonSubexpressions, .deadCode])
}
