/// Writes `parameters` (by `state_dict` name) as an F32 safetensors file at `path`.
///
/// phenaki-pytorch loads the file with `model.load_state_dict(safetensors.torch.load_file(path),
/// strict=False)`; `strict=False` because the zeros buffers the Swift graph does not declare
/// (LayerNorm `beta`) are left out and keep their initial zeros. `metadata` is stored in
/// `__metadata__` beside `"format": "pt"` (which a caller's own `format` key replaces), the tag
/// PyTorch-side loaders expect. The write is atomic.
public func exportWeights(_ parameters: [String: HostTensor], to path: String,
                          metadata: [String: String] = [:]) throws(WeightError) {
    for name in parameters.keys.sorted() where parameters[name]!.dtype != .float32 {
        throw .notFloat(name: name, dtype: parameters[name]!.dtype)
    }
    let file = SafeTensorsFile(tensors: parameters, metadata: ["format": "pt"].merging(metadata) { _, new in new })
    do { try file.write(path: path) } catch { throw .file(error) }
}
