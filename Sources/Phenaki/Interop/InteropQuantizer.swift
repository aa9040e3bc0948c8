import PhenakiGraphs

/// The quantizer the interop commands build for C-ViViT, in eval mode: the one the config
/// selects (`PhenakiModels.cvivitQuantizer`: LFQ by default, as phenaki-pytorch 0.5.0's
/// `lookup_free_quantization=True`), after `.eval()` — no straight-through estimator, and
/// vector-quantize-pytorch 1.11.8's LFQ returns a zero aux loss then.
///
/// The one place the interop code chooses it.
func interopQuantizer(_ config: CViViTConfig) -> CViViTQuantizer {
    PhenakiModels.cvivitQuantizer(config, training: false)
}
