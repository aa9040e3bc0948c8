import TensorGraph

extension GraphSketch {
    /// `gather`, `oneHot` or `takeAlongAxis`, with indices that are in range by construction
    /// (fed inputs get in-range feeds from `randomFeeds`).
    func indexingStep() {
        guard let x = pickFloat(rank: 1...4) else { return }
        let axis = random.int(0...(x.rank - 1))
        let extent = x.shape[axis]
        let b = bound(x)
        var choice = random.int(0...4)
        if !allowDiscontinuities && (choice == 1 || choice == 3) { choice = 0 }  // argmax, sorts
        switch choice {
        case 0:
            let indexRank = random.int(0...min(2, Self.maxRank - x.rank + 1))
            let shape = (0..<indexRank).map { _ in random.int(1...4) }
            let indices = random.chance(0.3) && indexRank == 1
                ? tracer.iota([min(shape[0], extent)], axis: 0) : input(shape, .int32)
            let out = Array(x.shape[..<axis]) + indices.shape + Array(x.shape[(axis + 1)...])
            guard fits(out) else { return }
            remember(x.gather(indices, axis: axis), bound: b)
        case 1:
            guard x.rank < Self.maxRank else { return }
            let indices = remember(x.argmax(axis: axis), bound: Double(extent))
            let depth = extent + random.int(0...2)
            guard fits(indices.shape + [depth]) else { return }
            remember(indices.oneHot(depth), bound: 1)
        case 2:
            guard x.rank < Self.maxRank else { return }
            let depth = random.int(1...6)
            let indices = input(partnerShape(of: Array(x.shape.dropLast())), .int32)
            guard fits(indices.shape + [depth]) else { return }
            remember(indices.oneHot(depth), bound: 1)
        case 3:
            let sorted = random.chance(0.5)
                ? x.argsort(axis: axis, descending: random.chance(0.5))
                : x.topK(random.int(1...extent), axis: axis)
            remember(sorted, bound: Double(extent))
            remember(x.takeAlongAxis(sorted, axis: axis), bound: b)
        default:
            var shape = x.shape
            shape[axis] = random.int(1...4)
            guard fits(shape) else { return }
            remember(x.takeAlongAxis(input(shape, .int32), axis: axis), bound: b)
        }
    }

    /// A small 2-D convolution with stride, padding and groups; the image is a new input
    /// shifted by a scalar of the graph so it depends on earlier values.
    func convStep() {
        let groups = random.int(1...2)
        let channels = groups * random.int(1...2)
        let outChannels = groups * random.int(1...2)
        let (h, w) = (random.int(3...6), random.int(3...6))
        let kernel = [random.int(1...3), random.int(1...3)]
        let stride = [random.int(1...2), random.int(1...2)]
        let padding = [random.int(0...1), random.int(0...1)]
        var image = input([random.int(1...2), channels, h, w])
        if let x = pickFloat() { image = image + x.mean() }
        let weight = random.chance(0.3)
            ? parameter([outChannels, channels / groups] + kernel) : input([outChannels, channels / groups] + kernel)
        let y = image.conv(weight, stride: stride, padding: padding, groups: groups)
        remember(y, bound: (2 + 1e4) * 2 * Double(channels * kernel[0] * kernel[1]))
    }

    /// Random values from the graph's RNG key: dropout or additive noise.
    func randomStep() {
        guard let x = pickFloat() else { return }
        let key = rngKey().foldIn(random.int(0...3))
        if random.chance(0.5) {
            let keep = 0.75
            let u = tracer.randomUniform(key, x.shape)
            remember(select(u .< keep, x / keep, 0), bound: bound(x) / keep)
        } else {
            remember(x + tracer.randomNormal(key, x.shape) * 0.1, bound: bound(x) + 1)
        }
    }

    /// Literal values: an `iota`, a constant array, or a whole constant subexpression added
    /// to a value of the graph.
    func constantStep() {
        guard let x = pickFloat() else { return }
        let shape = partnerShape(of: x.shape)
        var c: Tensor
        switch random.int(0...2) {
        case 0:
            c = shape.isEmpty ? tracer.constant(1, []) : tracer.iota(shape, axis: random.int(0...(shape.count - 1))).cast(.float32)
        case 1:
            let values = (0..<TensorType(shape).count).map { _ in random.value(-2, 2) }
            c = tracer.constant(values: values, shape)
        default:
            let values = (0..<TensorType(shape).count).map { _ in random.value(-1, 1) }
            c = (tracer.constant(values: values, shape) * 2.0 + 1.0).tanh()
            if !shape.isEmpty { c = c + tracer.iota(shape, axis: 0).cast(.float32) * 0.5 }
            c = c.exp().sum(axes: [], keepDims: false)
        }
        remember(x + c, bound: bound(x) + 10 * 1e2)
    }
}
