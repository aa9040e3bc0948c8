/// A model whose weights a checkpoint holds, one safetensors file each, with the names of
/// phenaki-pytorch's `state_dict` of that module (`Phenaki`'s `cvivit.*`, `maskgit.*`,
/// `critic.*` with the prefix dropped).
public enum CheckpointComponent: String, CaseIterable, Hashable, Sendable {
    /// `CViViT`: `cvivit.safetensors`.
    case cvivit
    /// `MaskGit`: `maskgit.safetensors`.
    case maskgit
    /// The `TokenCritic` of the `critic` section, or with `self_token_critic` the `SelfCritic`'s
    /// own head `to_pred.0.*` only (its transformer is MaskGit's, stored once in
    /// `maskgit.safetensors`): `critic.safetensors`.
    case critic
    /// The GAN discriminator of `CViViTTrainer` (with `use_vgg_and_gan`): its weights in
    /// `discriminator.safetensors`, its Adam moments under `optimizer/`. Only GAN runs of the
    /// C-ViViT trainer write it; a checkpoint without it (format version 1 before it existed,
    /// or any non-GAN run) is complete.
    case discriminator

    /// The file name, `<component>.safetensors`; the EMA and optimizer files use the same name
    /// under `ema/` and `optimizer/`.
    public var fileName: String { rawValue + ".safetensors" }

    /// The components a model of `config` has: C-ViViT, MaskGit, and a critic when the config
    /// has a `critic` section or sets `self_token_critic`. The discriminator is training state,
    /// not part of the model, so it is never listed.
    public static func components(of config: PhenakiConfig) -> [CheckpointComponent] {
        config.critic != nil || config.phenaki.selfTokenCritic ? [.cvivit, .maskgit, .critic] : [.cvivit, .maskgit]
    }
}
