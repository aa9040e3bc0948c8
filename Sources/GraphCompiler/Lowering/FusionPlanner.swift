import TensorGraph

/// A set of element-wise and row ops that run as one row program over one iteration space.
///
/// The iteration space is `shape` with a designated `rowAxis`: the kernel walks rows along
/// that axis, and row reductions (softmax, layer norm, sums along the axis) reduce it. Every
/// member's value has the group's shape, or is a "row scalar" (extent 1 along the row axis,
/// as a reduction's result) in groups that reduce.
struct FusionGroup {
    var shape: [Int]
    var rowAxis: Int
    var members: [NodeID] = []
    var reduces = false
}

/// The unit of scheduling: a fused group, one node lowered on its own, or a node that needs
/// no kernel (sources and views).
enum LoweringUnit {
    case group(Int)
    case node(NodeID)
}

/// Decides which nodes fuse into row programs, and records why the others did not.
///
/// Greedy in graph order: a fusible node joins the group of one of its fusible producers when
/// its shape fits the group's iteration space, its row reduction (if any) runs along the
/// group's row axis, and its other inputs come from kernels that start before the group (which
/// keeps the kernel graph acyclic). A recomputed node (a rematerialisation clone) only joins
/// groups of other recomputed nodes: joining its producer's group would compute it early again.
/// Otherwise it starts a group of its own, and the reason is kept for dumps.
struct FusionPlanner {
    let graph: Graph
    private(set) var groups: [FusionGroup] = []
    /// The group of every fused node.
    private(set) var groupOf: [Int?]
    /// Why a fusible node did not join its producer's group, by node.
    private(set) var refusals: [(node: NodeID, reason: String)] = []

    /// When false, every fusible node runs as a row program of its own (for differential tests).
    let enabled: Bool
    /// Rematerialisation clones, by node (empty: none).
    let recomputed: [Bool]

    /// The nodes reading each node, and which nodes are graph outputs (so the limits check is
    /// linear in a group's size, not in the graph's).
    let consumers: [[Int]]
    let isOutput: [Bool]

    init(graph: Graph, enabled: Bool = true, recomputed: [Bool] = []) {
        self.graph = graph
        self.enabled = enabled
        self.recomputed = recomputed
        var consumers = [[Int]](repeating: [], count: graph.nodes.count)
        for node in graph.nodes {
            for input in Set(node.inputs) { consumers[input.index].append(node.id.index) }
        }
        self.consumers = consumers
        var isOutput = [Bool](repeating: false, count: graph.nodes.count)
        for output in graph.outputs { isOutput[output.node.index] = true }
        self.isOutput = isOutput
        groupOf = Array(repeating: nil, count: graph.nodes.count)
        for node in graph.nodes {
            if let role = RowRole(node) {
                place(node, role: role)
            }
        }
    }

    private mutating func place(_ node: Node, role: RowRole) {
        var reasons: [String] = []
        for input in node.inputs where enabled {
            guard let g = groupOf[input.index] else { continue }
            if let reason = refusal(node, role: role, joining: g) {
                reasons.append("not fused with %\(input.index): \(reason)")
                continue
            }
            groups[g].members.append(node.id)
            groupOf[node.id.index] = g
            if role.reducesAxis != nil {
                groups[g].reduces = true
                groups[g].rowAxis = role.reducesAxis!
            }
            return
        }
        var group = FusionGroup(shape: role.iterationShape(node, graph), rowAxis: role.reducesAxis ?? max(0, node.type.rank - 1))
        group.members = [node.id]
        group.reduces = role.reducesAxis != nil
        groups.append(group)
        groupOf[node.id.index] = groups.count - 1
        if !reasons.isEmpty { refusals.append((node.id, reasons.joined(separator: "; "))) }
    }

    /// When a unit starts: the id of its first node. Every unit only reads units that started
    /// before it (a node's inputs have smaller ids, and a node joins a group only if all its
    /// other inputs come from older units), so the unit graph is acyclic by construction.
    /// Sources read nothing, so they count as older than everything.
    private func start(ofUnitOf id: NodeID) -> Int {
        if graph[id].op.isSource { return -1 }
        return groupOf[id.index].map { groups[$0].members[0].index } ?? id.index
    }

    private func isRecomputed(_ id: NodeID) -> Bool { id.index < recomputed.count && recomputed[id.index] }

    /// Why `node` cannot join group `g`, or nil if it can.
    private func refusal(_ node: Node, role: RowRole, joining g: Int) -> String? {
        let group = groups[g]
        if isRecomputed(node.id) && !isRecomputed(group.members[0]) {
            return "it is recomputed late, so it must not run in its producer's group"
        }
        let shape = role.iterationShape(node, graph)
        let valueShape = role.valueShape(node, graph)
        guard shape.count == group.shape.count else {
            return "rank \(shape.count) differs from the group's \(group.shape)"
        }
        if let axis = role.reducesAxis {
            if group.reduces && axis != group.rowAxis {
                return "reduces axis \(axis) but the group reduces axis \(group.rowAxis)"
            }
            guard shape == group.shape else { return "iteration space \(shape) differs from the group's \(group.shape)" }
            let input = node.inputs[0]
            if groupOf[input.index] == g, RowRole(graph[input])?.valueShape(graph[input], graph) != group.shape {
                return "its input %\(input.index) is a row scalar of the group, not a whole row"
            }
        } else {
            let rowScalar = zip(valueShape.indices, valueShape).allSatisfy { i, d in
                i == group.rowAxis ? d == 1 : d == group.shape[i]
            }
            if valueShape != group.shape && !(group.reduces && rowScalar) {
                return "shape \(valueShape) does not fill the group's iteration space \(group.shape)"
            }
        }
        let groupStart = group.members[0].index
        for input in node.inputs where groupOf[input.index] != g && start(ofUnitOf: input) > groupStart {
            return "input %\(input.index) comes from a kernel that starts after the group (fusing could form a cycle)"
        }
        if group.members.count >= 64 { return "the group already has 64 ops" }
        return nil
    }
}

/// How a fusible node takes part in a row program.
struct RowRole {
    /// The axis a row reduction reduces (in the node's input coordinates), nil for element-wise.
    let reducesAxis: Int?

    /// The node's role, or nil when it cannot be part of a row program.
    init?(_ node: Node) {
        switch node.op {
        case .unary, .binary, .select, .clamp, .cast, .stopGradient:
            reducesAxis = nil
        case .softmax(let axis), .l2Normalize(let axis, _):
            reducesAxis = axis
        case .layerNorm:
            reducesAxis = node.type.rank - 1
        case .reduce(_, let axes, _) where axes.count == 1:
            reducesAxis = axes[0]
        default:
            return nil
        }
    }

    /// The iteration space the node runs over: its output shape, or its input's for reductions.
    func iterationShape(_ node: Node, _ graph: Graph) -> [Int] {
        if case .reduce = node.op { return graph[node.inputs[0]].type.shape }
        return node.type.shape
    }

    /// The node's value in iteration coordinates (a reduction keeps its axis as extent 1).
    func valueShape(_ node: Node, _ graph: Graph) -> [Int] {
        if case .reduce(_, let axes, _) = node.op {
            var s = graph[node.inputs[0]].type.shape
            s[axes[0]] = 1
            return s
        }
        return node.type.shape
    }
}

extension FusionPlanner {
    /// The values a group reads from outside (single-valued constants become immediates).
    func externalInputs(of g: Int) -> Set<Int> {
        let members = Set(groups[g].members.map(\.index))
        var inputs = Set<Int>()
        for id in groups[g].members {
            for input in graph[id].inputs where !members.contains(input.index) {
                if case .constant(let values) = graph[input].op, Set(values).count == 1 { continue }
                inputs.insert(input.index)
            }
        }
        return inputs
    }

    /// The members a group must store (read elsewhere or graph outputs).
    func storedMembers(of g: Int) -> [Int] {
        groups[g].members.map(\.index).filter { member in
            isOutput[member] || consumers[member].contains { groupOf[$0] != g }
        }.sorted()
    }

    /// Splits groups that read or write more views than a row-program step holds. A group is
    /// cut in two by node id: every later member may read an earlier one, never the reverse,
    /// so the halves stay acyclic.
    mutating func enforceLimits(maxInputs: Int, maxOutputs: Int) {
        var changed = true
        while changed {
            changed = false
            for g in groups.indices where groups[g].members.count > 1 {
                let tooWide = externalInputs(of: g).count > maxInputs || storedMembers(of: g).count > maxOutputs
                guard tooWide else { continue }
                let members = groups[g].members
                let half = members.count / 2
                let tail = Array(members[half...])
                groups[g].members = Array(members[..<half])
                var second = groups[g]
                second.members = tail
                groups.append(second)
                for id in tail { groupOf[id.index] = groups.count - 1 }
                for k in [g, groups.count - 1] {
                    groups[k].reduces = groups[k].members.contains { RowRole(graph[$0])?.reducesAxis != nil }
                }
                refusals.append((tail[0], "group split: more than \(maxInputs) inputs or \(maxOutputs) outputs"))
                changed = true
                break
            }
        }
    }
}
