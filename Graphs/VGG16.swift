import TensorGraph

/// torchvision's `vgg16` with its last two classifier layers removed
/// (`classifier = classifier[:-2]`), the perceptual-loss network phenaki-pytorch's CViViT uses:
/// images [b, 3, H, W] → features [b, classifierWidth].
///
/// `features`: five stages of 3×3 convs (padding 1) + ReLU, each stage followed by a 2×2 max pool
/// (stride 2, odd rows/columns dropped); stages have 2, 2, 3, 3, 3 convs at indices
/// 0, 2 | 5, 7 | 10, 12, 14 | 17, 19, 21 | 24, 26, 28. Then `AdaptiveAvgPool2d((7, 7))`, flatten,
/// `classifier.0` Linear(widths[4]·49, classifierWidth) + ReLU, (dropout, omitted: the graph is
/// deterministic, as torch in eval mode), `classifier.3` Linear(classifierWidth, classifierWidth)
/// + ReLU. Parameter names are torchvision's: `features.{i}.{weight,bias}`,
/// `classifier.{0,3}.{weight,bias}`.
///
/// The widths are parameters so that tests can run a narrow network with the same layout; the
/// pretrained network is `VGG16()` (64, 128, 256, 512, 512; 4096).
public struct VGG16: Layer {
    /// Output channels of the five conv stages.
    public let widths: [Int]
    /// Width of the two kept classifier layers.
    public let classifierWidth: Int
    public let inChannels: Int

    /// torchvision's conv stages: how many convs each has.
    static let stageDepths = [2, 2, 3, 3, 3]

    public init(widths: [Int] = [64, 128, 256, 512, 512], classifierWidth: Int = 4096, inChannels: Int = 3) {
        precondition(widths.count == 5, "VGG16: five stage widths")
        self.widths = widths
        self.classifierWidth = classifierWidth
        self.inChannels = inChannels
    }

    /// The smallest image side the five 2×2 max pools accept (torch refuses a pool on 1 pixel).
    public static let minimumImageSide = 32

    /// The `features` indices of the 13 convs, in order.
    public static var convIndices: [Int] {
        var indices: [Int] = []
        var index = 0
        for depth in stageDepths {
            for _ in 0..<depth {
                indices.append(index)
                index += 2  // conv, ReLU
            }
            index += 1  // max pool
        }
        return indices
    }

    /// Features [b, classifierWidth] of images [b, inChannels, H, W] (H, W ≥ 32).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "VGG16: images must be [b, \(inChannels), H, W]")
        precondition(min(x.shape[2], x.shape[3]) >= VGG16.minimumImageSide, "VGG16: images must be at least 32×32")
        let t = x.tracer
        var h = x
        var channels = inChannels
        var conv = VGG16.convIndices.makeIterator()
        t.scope("features") {
            for (stage, depth) in VGG16.stageDepths.enumerated() {
                for _ in 0..<depth {
                    h = Conv2d(channels, widths[stage], kernel: 3, padding: 1).named("\(conv.next()!)")(h).relu()
                    channels = widths[stage]
                }
                h = maxPool2x2(h)
            }
        }
        h = adaptiveAveragePool(h, to: 7)
        let flat = h.reshape([h.shape[0], -1])
        return t.scope("classifier") {
            let a = Linear(channels * 49, classifierWidth).named("0")(flat).relu()
            return Linear(classifierWidth, classifierWidth).named("3")(a).relu()
        }
    }

    /// `MaxPool2d(2, 2)`: odd trailing rows/columns are dropped, each 2×2 window reduced by max.
    func maxPool2x2(_ x: Tensor) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2] / 2, x.shape[3] / 2)
        var y = x
        if x.shape[2] != 2 * h { y = y.slice(axis: 2, 0..<(2 * h)) }
        if x.shape[3] != 2 * w { y = y.slice(axis: 3, 0..<(2 * w)) }
        return y.reshape([b, c, h, 2, w, 2]).max(axes: [3, 5])
    }

    /// `AdaptiveAvgPool2d((n, n))` as two matrix products with constant averaging matrices:
    /// output cell i of an axis of length L averages [floor(i·L/n), ceil((i+1)·L/n)).
    func adaptiveAveragePool(_ x: Tensor, to n: Int) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let t = x.tracer
        let overW = x.reshape([b * c * h, w]).matmul(poolingMatrix(t, length: w, cells: n))  // [bch, n]
        let byH = overW.reshape([b, c, h, n]).permute([0, 1, 3, 2]).reshape([b * c * n, h])
        let overH = byH.matmul(poolingMatrix(t, length: h, cells: n))  // [b c n_w, n_h]
        return overH.reshape([b, c, n, n]).permute([0, 1, 3, 2])
    }

    /// [length, cells]: column i holds 1/|bin| on the rows of bin i.
    func poolingMatrix(_ t: Tracer, length: Int, cells: Int) -> Tensor {
        var values = [Double](repeating: 0, count: length * cells)
        for i in 0..<cells {
            let start = (i * length) / cells
            let end = ((i + 1) * length + cells - 1) / cells
            for r in start..<end { values[r * cells + i] = 1 / Double(end - start) }
        }
        return t.constant(values: values, [length, cells])
    }
}

extension Tensor {
    fileprivate func matmul(_ other: Tensor) -> Tensor { TensorGraph.matmul(self, other) }
}
