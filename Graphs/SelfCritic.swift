import TensorGraph

/// phenaki-pytorch's `SelfCritic`: MaskGit itself as the token critic.
///
/// MaskGit's transformer output (`return_embeds=True`) goes through `to_pred.0`
/// Linear(maskgit.dim, 1), squeezed to [b, n]. The transformer is shared, not copied: in a
/// `SelfCritic` state_dict it is `maskgit.*`; inside `Phenaki` (`self_token_critic=True`)
/// PyTorch lists it twice, as `maskgit.*` and `critic.maskgit.*` (one tensor), and the head is
/// `critic.to_pred.0.*`. Swift graphs declare it once, under the scope `maskgitScope` names.
public struct SelfCritic {
    public let maskgit: MaskGit

    public init(maskgit: MaskGit) {
        self.maskgit = maskgit
    }

    /// Logits [b, n]; arguments as `MaskGit.callAsFunction`. `maskgitScope` is the absolute
    /// scope of the shared MaskGit parameters (nil: `maskgit` under the current scope, the
    /// `SelfCritic` state_dict layout; `["maskgit"]` inside the Phenaki loss).
    public func callAsFunction(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil, textMask: Tensor? = nil,
                               videoMask: Tensor? = nil, keepMask: Tensor? = nil,
                               maskgitScope: [String]? = nil) -> Tensor {
        let t = ids.tracer
        let (b, n) = (ids.shape[0], ids.shape[1])
        let here = t.scope.isEmpty ? [] : t.scope.split(separator: ".").map(String.init)
        let embeds = t.withScopePath(maskgitScope ?? here + ["maskgit"]) {
            maskgit.embeddings(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask,
                               videoMask: videoMask, keepMask: keepMask)
        }
        let logits = t.scope("to_pred") { Linear(maskgit.dim, 1).named("0")(embeds) }
        return logits.reshape([b, n])
    }

    /// phenaki-pytorch's `forward_with_cond_scale` (see `MaskGit.forwardWithCondScale`): one pass
    /// over the doubled batch.
    public func forwardWithCondScale(_ ids: Tensor, videoPatchShape: [Int], text: Tensor? = nil,
                                     textMask: Tensor? = nil, videoMask: Tensor? = nil, condScale: Double = 3,
                                     maskgitScope: [String]? = nil) -> Tensor {
        ConditionalDropout.guided(ids: ids, text: maskgit.unconditional ? nil : text, textMask: textMask,
                                  videoMask: videoMask, condScale: condScale) { ids, text, textMask, videoMask, keep in
            self(ids, videoPatchShape: videoPatchShape, text: text, textMask: textMask, videoMask: videoMask,
                 keepMask: keep, maskgitScope: maskgitScope)
        }
    }
}
