import TensorGraph

extension GraphPass {
    /// Runs `pipeline` again and again until a round leaves the graph unchanged, at most
    /// `maxRounds` times. Each round verifies after every pass when the pipeline does.
    public static func fixedPoint(_ name: String, _ pipeline: PassManager, maxRounds: Int) -> GraphPass {
        GraphPass(name) { graph in
            var current = graph
            for _ in 0..<maxRounds {
                let next = try pipeline.run(current)
                if next == current { break }
                current = next
            }
            return current
        }
    }
}

extension PassManager {
    /// The simplification pipeline for the joint (forward + backward) graph, with exact
    /// defaults: algebraic simplification, constant folding, transpose folding, CSE and dead
    /// code elimination, iterated to a fixed point (at most 8 rounds).
    ///
    /// Outputs, parameters, inputs and RNG keys (with their names) are kept; the result
    /// computes what the original computes on the float32 runtime (folded constants are
    /// evaluated in float32; pass `SimplifyOptions(foldingPrecision: .float64)` to keep their
    /// exact values instead).
    public static let simplify = simplify(SimplifyOptions())

    /// The simplification pipeline with explicit options.
    public static func simplify(_ options: SimplifyOptions) -> PassManager {
        let round = PassManager([
            .algebraicSimplification(options),
            .constantFolding(options),
            .transposeFolding,
            .commonSubexpressions,
            .deadCode,
        ])
        return PassManager([.fixedPoint("simplify", round, maxRounds: options.maxRounds)])
    }
}
