import GraphRuntime
import TensorGraph

/// What MaskGit and the token critic share at the interop boundary: ids [b, n] over a
/// (frames', h', w') patch grid, optional text embeddings whose all-zero rows are masked, a
/// traced graph per call.
struct TokenLogits {
    /// The config section name, for messages (`maskgit`, `critic`).
    let section: String
    let maxSeqLen: Int
    let numTokens: Int
    /// nil: the model has no cross attention.
    let dimContext: Int?
    let cvivit: CViViTConfig
    /// Logits of the model for ids [b, n] int32 over `patchShape`, text [b, m, dimContext] and its
    /// mask bool [b, m] (both nil without text).
    let build: (_ ids: Tensor, _ patchShape: [Int], _ text: Tensor?, _ textMask: Tensor?) -> Tensor

    /// A graph with every parameter: one token frame, with text when the model reads it.
    func completeGraph() throws -> Graph {
        let grid = [1, cvivit.patchGrid.height, cvivit.patchGrid.width]
        return try Tracer.trace { t in
            let ids = t.input("ids", [1, grid.reduce(1, *)], .int32)
            let text = dimContext.map { t.input("text", [1, 1, $0]) }
            return ["logits": build(ids, grid, text, text.map { textMask($0) })]
        }
    }

    /// phenaki-pytorch's `text_mask = torch.any(text_embeds != 0, dim=-1)`, in the graph.
    func textMask(_ text: Tensor) -> Tensor { text.abs().max(axes: [-1]) .> 0 }

    /// Checks the inputs, traces, compiles and runs.
    func logits(ids input: HostTensor, idsName: String, text textInput: HostTensor?, textName: String,
                weights: InteropWeights, threads: Int?) throws -> HostTensor {
        let (ids, patchShape) = try InteropInputs.ids(
            input, name: idsName, config: cvivit, valid: 0...numTokens,
            meaning: "\(section).num_tokens is \(numTokens); \(numTokens) is the mask id")
        let (batch, n) = (ids.shape[0], ids.shape[1])
        guard n <= maxSeqLen else { throw InteropError.tooManyTokens(section: section, tokens: n, maxSeqLen: maxSeqLen) }
        var inputs = ["ids": ids]
        if let textInput {
            guard let dimContext else { throw InteropError.textNotUsed(section: section) }
            inputs["text"] = try InteropInputs.text(textInput, name: textName, batch: batch, dimContext: dimContext,
                                                   section: section)
        }
        let graph = try Tracer.trace { t in
            let ids = t.input("ids", [batch, n], .int32)
            let text = inputs["text"].map { t.input("text", $0.shape) }
            return ["logits": build(ids, patchShape, text, text.map { textMask($0) })]
        }
        return try runCompiled(graph, parameters: weights.parameters, inputs: inputs, threads: threads)["logits"]!
    }
}
