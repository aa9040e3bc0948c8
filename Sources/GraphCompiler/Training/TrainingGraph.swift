import TensorGraph

/// What a training plan does after the backward pass. Hyperparameters that change during
/// training (learning rate, EMA decay) are plan inputs, not constants, so one plan serves a
/// whole schedule.
public struct TrainingOptions: Hashable, Sendable {
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    /// Decoupled weight decay (AdamW), applied only to parameters with 2 or more dimensions,
    /// as phenaki-pytorch's optimizer groups do.
    public var weightDecay = 0.0
    /// Global-norm gradient clipping (`clip_grad_norm_`); nil: off.
    public var maxGradNorm: Double?
    /// Keep an exponential moving average of the weights (`ema:<name>` state).
    public var ema = false
    /// Micro-batches whose gradients are summed before one update (1: update every run).
    public var gradientAccumulation = 1
    /// Parameters this step leaves alone, by name prefix: no gradient, optimizer state, EMA or
    /// `next:` output, so they keep their values. C-ViViT's generator step freezes `discr.`:
    /// its loss runs the discriminator, whose own optimizer trains it in a separate step.
    public var frozenPrefixes: [String] = []
    /// Leave every state unchanged (weights, optimizer state, accumulators, counters, buffers)
    /// when the loss or the global gradient norm is not finite, so a bad step never reaches the
    /// weights; output `train.finite` says whether the step counted. Off: no such output, and
    /// the update always applies.
    public var skipNonFinite = true

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                maxGradNorm: Double? = nil, ema: Bool = false, gradientAccumulation: Int = 1,
                frozenPrefixes: [String] = [], skipNonFinite: Bool = true) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.ema = ema
        self.gradientAccumulation = gradientAccumulation
        self.frozenPrefixes = frozenPrefixes
        self.skipNonFinite = skipNonFinite
    }

    /// Whether `frozenPrefixes` freezes the parameter `name`.
    public func isFrozen(_ name: String) -> Bool { frozenPrefixes.contains { name.hasPrefix($0) } }
}

/// Names of the state a training graph reads and writes. A run reads `<state>` inputs and
/// writes `next:<state>` outputs; the session copies each output back to its input. Parameters
/// (buffers included: their `next:` is the forward's `update:<name>`) are state the same way.
public enum TrainingState {
    public static let step = "train.step"                 // f32[]: updates done so far
    public static let micro = "train.micro"               // f32[]: micro-batch index 0..<k
    public static let learningRate = "train.lr"           // f32[]
    public static let emaDecay = "train.ema_decay"        // f32[]: 0 copies the weights
    public static func firstMoment(_ p: String) -> String { "adam.m:" + p }
    public static func secondMoment(_ p: String) -> String { "adam.v:" + p }
    public static func accumulator(_ p: String) -> String { "accum:" + p }
    public static func ema(_ p: String) -> String { "ema:" + p }
    public static let nextPrefix = "next:"
    public static let gradNorm = "train.grad_norm"
    /// bool[]: whether the loss and the global gradient norm were finite (the step counted).
    public static let finite = "train.finite"
}

/// The training graph of `forward`: its outputs, then gradients of `loss`, optional global-norm
/// clipping, AdamW with bias correction, optional EMA and gradient accumulation, all as
/// ordinary ops, so the compiler fuses the update like any other element-wise work.
///
/// The parameter update is written as outputs `next:<parameter>`; optimizer state likewise.
/// With accumulation k, gradients are summed into `accum:` state and the update (and the
/// step counter) only moves when `train.micro` is k-1.
///
/// Buffers — parameters that `forward` updates itself, exposed as outputs `update:<name>`
/// (`Tracer.bufferUpdate(of:to:)`) — are not trained: they get no gradient, Adam moments,
/// weight decay, accumulator or share of the clipping norm, and `next:<name>` is the forward's
/// update on every run, micro-batches included, as PyTorch's forward writes its buffers on every
/// call. With `ema` on they get `ema:` state blended like the weights (ema_pytorch 0.8.3 lerps
/// floating-point buffers as it lerps parameters).
///
/// Parameters under `options.frozenPrefixes` stay constants of the step: the loss may read them,
/// nothing updates them.
public func trainingGraph(_ forward: Graph, loss: String, options: TrainingOptions) throws -> Graph {
    guard let lossNode = forward.output(loss) else {
        throw GraphError.invalid("the graph has no output called \(loss); its outputs are "
            + forward.outputs.map(\.name).joined(separator: ", "))
    }
    let buffers = try bufferUpdates(of: forward)
    let parameters = forward.parameters.filter { !options.isFrozen($0.name) }
    let trained = parameters.filter { buffers[$0.name] == nil }
    guard !trained.isEmpty else {
        throw GraphError.invalid("the model has no parameters to train (only buffers that its forward pass updates, "
            + "or parameters frozen by \(options.frozenPrefixes))")
    }
    let (joint, gradientNodes) = try gradients(of: lossNode, withRespectTo: trained.map(\.node.id), in: forward)
    let tracer = Tracer(extending: joint)
    var outputs: [(String, Tensor)] = forward.outputs.map { ($0.name, tracer.tensor($0.node)) }

    tracer.withScopePath(["optimizer"]) {
        let step = tracer.input(TrainingState.step, [])
        let micro = tracer.input(TrainingState.micro, [])
        let lr = tracer.input(TrainingState.learningRate, [])
        let k = Double(max(1, options.gradientAccumulation))
        let due = micro .>= (k - 1)
        // Filled in once the gradient norm exists; every state output is selected on it.
        var finite: Tensor! = nil
        var apply: Tensor! = nil
        func keep(_ new: Tensor, _ old: Tensor) -> Tensor { options.skipNonFinite ? select(finite, new, old) : new }

        // Gradients (summed over micro-batches when accumulating).
        var grads: [Tensor] = []
        var accumulators: [(name: String, acc: Tensor, total: Tensor)] = []
        for (p, gradient) in zip(trained, gradientNodes) {
            let g = tracer.tensor(gradient)
            if options.gradientAccumulation > 1 {
                let acc = tracer.input(TrainingState.accumulator(p.name), p.node.type.shape)
                let total = acc + g
                accumulators.append((p.name, acc, total))
                grads.append(total / k)
            } else {
                grads.append(g)
            }
        }
        // Global norm over all gradients, and the clipping factor min(1, max / (norm + 1e-6)).
        let squares = grads.map { $0.square().sum() }
        let norm = squares.dropFirst().reduce(squares[0], +).sqrt()
        outputs.append((TrainingState.gradNorm, norm))
        // |loss + norm| < FLT_MAX is false for NaN and ±inf (a NaN compares false), so one
        // scalar test covers the loss and every gradient element (the norm sums their squares).
        let lossValue = tracer.tensor(lossNode)
        let probe = (lossValue.shape.isEmpty ? lossValue : lossValue.sum()) + norm
        finite = probe.abs() .< Double(Float.greatestFiniteMagnitude)
        if options.skipNonFinite { outputs.append((TrainingState.finite, finite)) }
        apply = options.skipNonFinite ? select(due, finite, due) : due
        for a in accumulators {
            outputs.append((TrainingState.nextPrefix + TrainingState.accumulator(a.name),
                            keep(select(apply, a.total * 0.0, a.total), a.acc)))
        }
        if let maxNorm = options.maxGradNorm {
            let factor = (maxNorm / (norm + 1e-6)).minimum(1.0)
            grads = grads.map { $0 * factor }
        }
        let t = step + 1.0
        let correction1 = 1.0 - tracer.constant(options.beta1).pow(t)
        let correction2 = 1.0 - tracer.constant(options.beta2).pow(t)
        let emaDecay = options.ema ? tracer.input(TrainingState.emaDecay, []) : nil
        var gradientOf = Dictionary(uniqueKeysWithValues: zip(trained.map(\.name), grads))
        for p in parameters {
            let shape = p.node.type.shape
            let w = tracer.tensor(p.node.id)
            let newW: Tensor
            if let update = buffers[p.name] {
                newW = keep(tracer.tensor(update), w)
                outputs.append((TrainingState.nextPrefix + p.name, newW))
            } else {
                let g = gradientOf.removeValue(forKey: p.name)!
                let m = tracer.input(TrainingState.firstMoment(p.name), shape)
                let v = tracer.input(TrainingState.secondMoment(p.name), shape)
                let m2 = m * options.beta1 + g * (1 - options.beta1)
                let v2 = v * options.beta2 + g.square() * (1 - options.beta2)
                let decay = shape.count >= 2 ? options.weightDecay : 0
                let decayed = decay == 0 ? w : w * (1.0 - lr * decay)
                let updated = decayed - lr * (m2 / correction1) / ((v2 / correction2).sqrt() + options.epsilon)
                newW = select(apply, updated, w)
                outputs.append((TrainingState.nextPrefix + p.name, newW))
                outputs.append((TrainingState.nextPrefix + TrainingState.firstMoment(p.name), select(apply, m2, m)))
                outputs.append((TrainingState.nextPrefix + TrainingState.secondMoment(p.name), select(apply, v2, v)))
            }
            if let emaDecay {
                let e = tracer.input(TrainingState.ema(p.name), shape)
                let blended = e * emaDecay + newW * (1.0 - emaDecay)
                outputs.append((TrainingState.nextPrefix + TrainingState.ema(p.name), select(apply, blended, e)))
            }
        }
        outputs.append((TrainingState.nextPrefix + TrainingState.step, select(apply, t, step)))
        outputs.append((TrainingState.nextPrefix + TrainingState.micro,
                        keep(select(due, micro * 0.0, micro + 1.0), micro)))
    }
    return try tracer.finish(outputs: outputs)
}

/// The buffers of `graph`: the node of each output `update:<name>`, by parameter name. Throws when
/// such an output names no parameter or has another type than it.
public func bufferUpdates(of graph: Graph) throws -> [String: NodeID] {
    var parameterTypes: [String: TensorType] = [:]
    for p in graph.parameters { parameterTypes[p.name] = p.node.type }
    var updates: [String: NodeID] = [:]
    for output in graph.outputs where output.name.hasPrefix(Tracer.bufferUpdatePrefix) {
        let name = String(output.name.dropFirst(Tracer.bufferUpdatePrefix.count))
        guard let type = parameterTypes[name] else {
            throw GraphError.invalid("output \(output.name) updates a buffer, but the graph has no parameter \(name); "
                + "rename the output or declare the buffer with Tracer.parameter")
        }
        guard graph[output.node].type == type else {
            throw GraphError.invalid("output \(output.name) is \(graph[output.node].type), the buffer \(name) is \(type)")
        }
        updates[name] = output.node
    }
    return updates
}
