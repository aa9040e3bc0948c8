import GraphRuntime
import TensorGraph

/// Turns a graph into plan steps over virtual buffers (offsets are assigned later by the
/// memory planner).
///
/// Values live where their producer put them, as `PlanView`s: permutes, slices, expands and
/// reshapes of contiguous values are views and cost nothing; a kernel that needs a contiguous
/// operand gets a copy (made once per value).
struct Lowering {
    let graph: Graph
    let fusion: FusionPlanner
    private(set) var buffers: [PlanBuffer] = []
    var steps: [PlanStep] = []
    private(set) var feeds: [PlanBinding] = []
    private(set) var outputs: [PlanBinding] = []
    private(set) var constants: [PlanConstant] = []
    /// Where each node's value lives once its unit has been emitted.
    var location: [PlanView?]
    private var contiguousCopies: [Int: PlanView] = [:]
    /// Which nodes are needed outside their fusion group (graph outputs or other consumers).
    let neededOutside: [Bool]

    init(graph: Graph, fusion: FusionPlanner) {
        self.graph = graph
        self.fusion = fusion
        location = Array(repeating: nil, count: graph.nodes.count)
        var needed = Array(repeating: false, count: graph.nodes.count)
        for node in graph.nodes {
            for input in node.inputs {
                let g = fusion.groupOf[input.index]
                if g == nil || g != fusion.groupOf[node.id.index] { needed[input.index] = true }
            }
        }
        for output in graph.outputs { needed[output.node.index] = true }
        neededOutside = needed
    }

    // MARK: Buffers and views

    mutating func newBuffer(_ type: TensorType, _ arena: PlanArena, label: String) -> Int {
        buffers.append(PlanBuffer(arena: arena, offset: 0, type: type, label: label, firstStep: 0, lastStep: 0))
        return buffers.count - 1
    }

    /// A fresh contiguous activation buffer for `node`'s value, recorded as its location.
    mutating func allocate(_ node: Node) -> PlanView {
        let view = PlanView.contiguous(newBuffer(node.type, .activations, label: node.scope), node.type.shape)
        location[node.id.index] = view
        return view
    }

    /// The value of `id` as a view (it must have been emitted).
    func view(_ id: NodeID) -> PlanView {
        guard let v = location[id.index] else {
            fatalError("lowering: %\(id.index) (\(graph[id].op.kind)) used before it was emitted")
        }
        return v
    }

    /// The value of `id` in a contiguous row-major layout, copying it once if needed.
    mutating func contiguous(_ id: NodeID) -> PlanView {
        let v = view(id)
        if v.isContiguous { return v }
        if let copy = contiguousCopies[id.index] { return copy }
        let node = graph[id]
        let out = PlanView.contiguous(newBuffer(node.type, .activations, label: node.scope + " (copy)"), node.type.shape)
        emit(PlanStep(kind: .copy, inputs: [v], outputs: [out], label: node.scope, nodes: [id.index]))
        contiguousCopies[id.index] = out
        return out
    }

    mutating func emit(_ step: PlanStep) { steps.append(step) }

    mutating func addFeed(_ name: String, buffer: Int, role: PlanBinding.Role, initializer: Initializer? = nil) {
        feeds.append(PlanBinding(name: name, buffer: buffer, role: role, type: buffers[buffer].type,
                                 initializer: initializer))
    }

    mutating func addConstant(_ node: Node, values: [Double]) {
        let b = newBuffer(node.type, .constants, label: node.scope)
        constants.append(PlanConstant(buffer: b, values: values))
        location[node.id.index] = .contiguous(b, node.type.shape)
    }

    /// Binds the graph outputs to contiguous activation buffers that live to the end.
    mutating func bindOutputs() {
        for output in graph.outputs {
            var v = contiguous(output.node)
            if buffers[v.buffer].arena != .activations || v.elementOffset != 0
                || v.shape.reduce(1, *) != buffers[v.buffer].type.count {
                let node = graph[output.node]
                let out = PlanView.contiguous(newBuffer(node.type, .activations, label: "output " + output.name),
                                              node.type.shape)
                emit(PlanStep(kind: .copy, inputs: [v], outputs: [out], label: node.scope, nodes: [output.node.index]))
                v = out
            }
            outputs.append(PlanBinding(name: output.name, buffer: v.buffer, role: .output,
                                       type: graph[output.node].type))
        }
    }
}
