/// Records the nodes of a graph while a model runs on symbolic tensors.
///
/// A tracer keeps the current scope path (so every node knows which layer made it), the
/// parameters declared so far (a name used twice with the same type is one shared parameter)
/// and the first shape error. Ops on `Tensor` never throw, so model code reads like PyTorch;
/// the first error is thrown when the trace ends, naming the scope, op and shapes.
public final class Tracer {
    /// The graph built so far.
    public private(set) var graph: Graph
    /// The current scope path, outermost first.
    public private(set) var scopePath: [String] = []
    /// The first error met while tracing; later ops still record placeholder nodes.
    public private(set) var firstError: GraphError?
    private var parameterIDs: [String: NodeID] = [:]
    /// Names of inputs and RNG keys (parameters are in `parameterIDs`); one namespace for all.
    private var sourceNames: Set<String> = []
    /// Buffer updates recorded by `bufferUpdate(of:to:)`, in order: the buffer's parameter name
    /// and its new value. `finish` adds each as the output `update:<name>`.
    public private(set) var bufferUpdates: [(name: String, value: Tensor)] = []

    /// The output-name prefix of buffer updates: `update:<parameter name>`.
    public static let bufferUpdatePrefix = "update:"

    /// Starts a new, empty trace.
    public init() { graph = Graph() }

    /// Continues appending to an existing graph (autodiff writes the backward graph this way).
    public init(extending graph: Graph) {
        self.graph = graph
        for node in graph.nodes {
            switch node.op {
            case .parameter(let name, _): parameterIDs[name] = node.id
            case .input(let name), .rngKey(let name): sourceNames.insert(name)
            default: break
            }
        }
    }

    /// Traces `body` and returns the verified graph with its named outputs.
    public static func trace(
        _ body: (Tracer) throws -> KeyValuePairs<String, Tensor>
    ) throws -> Graph {
        let tracer = Tracer()
        let outputs = try body(tracer)
        return try tracer.finish(outputs: outputs.map { ($0.key, $0.value) })
    }

    /// Ends the trace: throws the first error, else returns the verified graph.
    ///
    /// The outputs are `outputs`, then `update:<name>` for every buffer update recorded with
    /// `bufferUpdate(of:to:)` (unless `outputs` already names it).
    public func finish(outputs: [(String, Tensor)]) throws(GraphError) -> Graph {
        if let firstError { throw firstError }
        var result = graph
        result.outputs = outputs.map { GraphOutput(name: $0.0, node: $0.1.id) }
        let named = Set(outputs.map(\.0))
        for update in bufferUpdates where !named.contains(Self.bufferUpdatePrefix + update.name) {
            result.outputs.append(GraphOutput(name: Self.bufferUpdatePrefix + update.name, node: update.value.id))
        }
        try verify(result)
        return result
    }

    /// The dotted scope path of nodes recorded now (`layers.0.1.to_q`).
    public var scope: String { scopePath.joined(separator: ".") }

    /// Runs `body` one level deeper in the scope tree, as a PyTorch submodule attribute does.
    public func scope<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        scopePath.append(name)
        defer { scopePath.removeLast() }
        return try body()
    }

    /// Runs `body` with an absolute scope path (used by passes that write new nodes).
    public func withScopePath<T>(_ path: [String], _ body: () throws -> T) rethrows -> T {
        let saved = scopePath
        scopePath = path
        defer { scopePath = saved }
        return try body()
    }

    /// Records an op, inferring its type. On a shape error, remembers the first error and
    /// returns a placeholder so tracing can go on.
    public func record(_ op: Op, _ inputs: [Tensor], declared: TensorType? = nil) -> Tensor {
        let ids = inputs.map(\.id)
        let types = ids.map { graph.nodes[$0.index].type }
        let type: TensorType
        do {
            type = try inferType(op, inputs: types, declared: declared, scope: scope)
        } catch {
            if firstError == nil { firstError = error }
            let placeholder = declared ?? types.first ?? TensorType([])
            return append(.constant(values: [0]), [], placeholder)
        }
        return append(op, ids, type)
    }

    private func append(_ op: Op, _ inputs: [NodeID], _ type: TensorType) -> Tensor {
        let id = NodeID(graph.nodes.count)
        graph.nodes.append(Node(id: id, op: op, inputs: inputs, type: type, scope: scope))
        return Tensor(id: id, tracer: self)
    }

    /// The tensor for an existing node of this graph.
    public func tensor(_ id: NodeID) -> Tensor { Tensor(id: id, tracer: self) }

    // MARK: Sources

    /// Declares (or reuses) the parameter `name` in the current scope.
    ///
    /// The full name is the scope path plus `name` (`layers.0.1.to_q.weight`), matching
    /// PyTorch's `state_dict` keys. Declaring the same full name again with the same shape
    /// shares the parameter; another shape is an error.
    public func parameter(_ name: String, _ shape: [Int], _ initializer: Initializer) -> Tensor {
        let fullName = (scopePath + [name]).joined(separator: ".")
        let type = TensorType(shape, .float32)
        if let existing = parameterIDs[fullName] {
            let node = graph[existing]
            if node.type != type || node.op != .parameter(name: fullName, initializer: initializer), firstError == nil {
                firstError = .duplicateParameter(name: fullName, first: node.type, second: type)
            }
            return tensor(existing)
        }
        if sourceNames.contains(fullName), firstError == nil {
            firstError = .invalid("parameter \(fullName) has the name of an input; rename one")
        }
        let t = record(.parameter(name: fullName, initializer: initializer), [], declared: type)
        parameterIDs[fullName] = t.id
        return t
    }

    /// Records that one forward pass replaces the buffer `buffer` (a parameter of this trace, e.g.
    /// `VectorQuantize`'s `_codebook.embed`) with `newValue`, as a PyTorch module that writes a
    /// registered buffer in `forward` does (EMA codebooks, running statistics).
    ///
    /// A buffer is state that the forward pass updates and the optimizer leaves alone: the graph
    /// gets the output `update:<name>`, and `trainingGraph` writes it to `next:<name>` on every
    /// run (every micro-batch) with no gradient step, Adam moments, weight decay or clipping. A
    /// forward-only graph just exposes the output; a caller that wants PyTorch's training-mode
    /// state copies it back itself.
    ///
    /// A graph is one forward pass: when the same buffer is updated again in one trace (the
    /// codebook ids of a batch traced beside its reconstruction), the first update is kept and
    /// the later ones are dropped, so each buffer has one next value.
    public func bufferUpdate(of buffer: Tensor, to newValue: Tensor) {
        guard case .parameter(let name, _) = graph[buffer.id].op else {
            if firstError == nil { firstError = .invalid("bufferUpdate(of:to:) needs a parameter, got a \(graph[buffer.id].op) node in scope \(scope)") }
            return
        }
        let (old, new) = (graph[buffer.id].type, graph[newValue.id].type)
        guard old == new else {
            if firstError == nil { firstError = .invalid("the update of buffer \(name) is \(new), the buffer is \(old)") }
            return
        }
        if bufferUpdates.contains(where: { $0.name == name }) { return }
        bufferUpdates.append((name, newValue))
    }

    /// Declares a run-time input called `name`.
    public func input(_ name: String, _ shape: [Int], _ dtype: DType = .float32) -> Tensor {
        if (!sourceNames.insert(name).inserted || parameterIDs[name] != nil), firstError == nil {
            firstError = .invalid("input \(name) declared twice")
        }
        return record(.input(name: name), [], declared: TensorType(shape, dtype))
    }

    /// Declares an RNG key input called `name` (int32[2]).
    public func rngKey(_ name: String) -> Tensor {
        if (!sourceNames.insert(name).inserted || parameterIDs[name] != nil), firstError == nil {
            firstError = .invalid("RNG key \(name) declared twice")
        }
        return record(.rngKey(name: name), [], declared: TensorType([2], .int32))
    }

    /// A constant filled with `value`.
    public func constant(_ value: Double, _ shape: [Int] = [], _ dtype: DType = .float32) -> Tensor {
        record(.constant(values: [value]), [], declared: TensorType(shape, dtype))
    }

    /// A constant with one value per element (row-major).
    public func constant(values: [Double], _ shape: [Int], _ dtype: DType = .float32) -> Tensor {
        record(.constant(values: values), [], declared: TensorType(shape, dtype))
    }

    /// Int32 tensor whose elements are their index along `axis`.
    public func iota(_ shape: [Int], axis: Int) -> Tensor {
        record(.iota(axis: axis), [], declared: TensorType(shape, .int32))
    }

    /// `[0, 1, ..., n-1]` as int32.
    public func arange(_ n: Int) -> Tensor { iota([n], axis: 0) }

    /// Uniform floats in [0, 1) drawn from `key`.
    public func randomUniform(_ key: Tensor, _ shape: [Int]) -> Tensor {
        record(.randomUniform, [key], declared: TensorType(shape, .float32))
    }

    /// Standard normal floats drawn from `key`.
    public func randomNormal(_ key: Tensor, _ shape: [Int]) -> Tensor {
        record(.randomNormal, [key], declared: TensorType(shape, .float32))
    }
}
