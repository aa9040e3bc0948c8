import Foundation
import GraphRuntime
import PhenakiGraphs

/// The VGG-16 behind C-ViViT's perceptual loss, from user-supplied weights.
///
/// phenaki-pytorch downloads torchvision's ImageNet VGG-16; this package never downloads, so the
/// weights come from a safetensors file holding torchvision's `vgg16().state_dict()` names
/// (`features.{0,2,5,…,28}.{weight,bias}`, `classifier.{0,3}.{weight,bias}`; `classifier.6.*` and
/// anything else is ignored). Without a file the perceptual loss is off.
public enum PerceptualVGG {
    /// The line logged when no weights are given.
    public static let offMessage = "perceptual loss off: no VGG-16 weights (pass --vgg-weights FILE with torchvision's "
        + "vgg16 state_dict saved as safetensors)"

    /// The VGG and its weights (named `vgg.<torchvision key>`, as inside CViViT), or nil after
    /// logging `offMessage` when `path` is nil. Widths are read from the file, so a narrower
    /// network with torchvision's layout loads too.
    /// - Throws: `SafeTensorsError` for an unreadable file, `CViViTGANError.vggWeights` for a
    ///   missing tensor or a shape that does not fit the layout.
    public static func load(path: String?, log: (String) -> Void = { print($0) }) throws
        -> (vgg: VGG16, weights: [String: HostTensor])? {
        guard let path else {
            log(offMessage)
            return nil
        }
        let tensors = try SafeTensorsFile.read(path: path).tensors
        func tensor(_ key: String, rank: Int) throws -> HostTensor {
            guard let t = tensors[key] else { throw CViViTGANError.vggWeights(path: path, reason: "no tensor \(key)") }
            guard t.shape.count == rank else {
                throw CViViTGANError.vggWeights(path: path, reason: "\(key) has shape \(t.shape), expected rank \(rank)")
            }
            return t
        }
        // Widths from the last conv of each stage; every shape is then checked against the spec.
        var widths: [Int] = []
        var convIndex = 0
        for depth in [2, 2, 3, 3, 3] {
            widths.append(try tensor("features.\(VGG16.convIndices[convIndex + depth - 1]).weight", rank: 4).shape[0])
            convIndex += depth
        }
        let inChannels = try tensor("features.0.weight", rank: 4).shape[1]
        let classifierWidth = try tensor("classifier.0.weight", rank: 2).shape[0]
        let vgg = VGG16(widths: widths, classifierWidth: classifierWidth, inChannels: inChannels)

        var expected: [(String, [Int])] = []
        var channels = inChannels
        var stageOfConv: [Int] = []
        for (stage, depth) in [2, 2, 3, 3, 3].enumerated() { stageOfConv += Array(repeating: stage, count: depth) }
        for (index, stage) in zip(VGG16.convIndices, stageOfConv) {
            expected.append(("features.\(index).weight", [widths[stage], channels, 3, 3]))
            expected.append(("features.\(index).bias", [widths[stage]]))
            channels = widths[stage]
        }
        expected += [("classifier.0.weight", [classifierWidth, channels * 49]), ("classifier.0.bias", [classifierWidth]),
                     ("classifier.3.weight", [classifierWidth, classifierWidth]), ("classifier.3.bias", [classifierWidth])]
        var weights: [String: HostTensor] = [:]
        for (key, shape) in expected {
            let t = try tensor(key, rank: shape.count)
            guard t.shape == shape else {
                throw CViViTGANError.vggWeights(path: path, reason: "\(key) has shape \(t.shape), the layout needs \(shape)")
            }
            weights["vgg." + key] = t
        }
        return (vgg, weights)
    }
}
