import TensorGraph

extension GraphPass {
    /// Folds explicit transposes into `matmul`'s transpose flags.
    ///
    /// `matmul(permute(a, swap last two), b)` becomes `matmul(a, b, transposeA: !tA)` (likewise
    /// for `b`), whether the permute came from the model or from a VJP rule. A `permute`
    /// swapping the last two axes of a `matmul` result that nothing else reads becomes the
    /// transposed product `Cᵀ = op(B)ᵀ · op(A)ᵀ`, i.e. `matmul(b, a, !tB, !tA)`.
    ///
    /// Why it is safe: a transpose flag reads the same elements as the explicit permute, the
    /// batch axes are untouched, and each output element sums the same products in the same
    /// order, so results are bit-identical. A permute that other nodes still read stays for
    /// them (`.deadCode` removes it once unread).
    public static let transposeFolding = GraphPass("transpose-folding") { graph in
        GraphRewriter.rewrite(graph) { rewriter, node, inputs in
            switch node.op {
            case .matmul(var ta, var tb):
                var (a, b) = (inputs[0], inputs[1])
                let foldsA = rewriter.swapsLastTwoAxes(a)
                let foldsB = rewriter.swapsLastTwoAxes(b)
                guard foldsA || foldsB else { return nil }
                if foldsA { a = rewriter[a].inputs[0]; ta.toggle() }
                if foldsB { b = rewriter[b].inputs[0]; tb.toggle() }
                return rewriter.emit(.matmul(transposeA: ta, transposeB: tb), [a, b], scope: node.scope)
            case .permute(let perm):
                guard isLastTwoAxesSwap(perm), rewriter.hasSingleUse(node.inputs[0]),
                      case .matmul(let ta, let tb) = rewriter[inputs[0]].op
                else { return nil }
                let product = rewriter[inputs[0]]
                return rewriter.emit(.matmul(transposeA: !tb, transposeB: !ta),
                                     [product.inputs[1], product.inputs[0]], scope: node.scope)
            default:
                return nil
            }
        }
    }
}

/// Whether `perm` exchanges the last two axes and keeps every other axis in place.
func isLastTwoAxesSwap(_ perm: [Int]) -> Bool {
    let r = perm.count
    guard r >= 2, perm[r - 2] == r - 1, perm[r - 1] == r - 2 else { return false }
    return perm.prefix(r - 2).enumerated().allSatisfy { $0.offset == $0.element }
}

extension GraphRewriter {
    /// Whether the new node `id` is a permute that swaps its input's last two axes.
    func swapsLastTwoAxes(_ id: NodeID) -> Bool {
        if case .permute(let perm) = self[id].op { return isLastTwoAxesSwap(perm) }
        return false
    }
}
