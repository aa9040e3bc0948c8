import TensorGraph

/// Why weights could not be loaded into, or exported from, a model.
public enum WeightError: Error, Equatable, CustomStringConvertible {
    /// The file does not fit the graph; every mismatch found is listed.
    case mismatches(source: String, [WeightMismatch])
    /// The safetensors file itself could not be read or written.
    case file(SafeTensorsError)
    /// A tensor to export is not float32 (weights files hold float parameters only).
    case notFloat(name: String, dtype: DType)

    public var description: String {
        switch self {
        case .mismatches(let source, let list):
            let count = list.count == 1 ? "1 problem" : "\(list.count) problems"
            var lines = ["weights from \(source) do not match the model (\(count)):"]
            lines += list.map { "  - \($0)" }
            lines.append("Build the model with the configuration the weights were saved with "
                + "(dim, heads, dim_head, depth, ...), or load weights saved for this one.")
            return lines.joined(separator: "\n")
        case .file(let error):
            return error.description
        case .notFloat(let name, let dtype):
            return "cannot export '\(name)': it is \(dtype.rawValue), and a weights file holds float32 "
                + "parameters only; leave optimizer counters and other state out of the export"
        }
    }
}
