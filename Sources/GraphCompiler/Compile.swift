import GraphRuntime
import TensorGraph

/// Settings of `compile`.
public struct CompileOptions: Sendable {
    /// Fuse element-wise and row ops into row programs (off: one row program per op).
    public var fuse = true
    /// Run the simplification passes first (algebraic identities, constant folding, transpose
    /// folding, CSE, dead code).
    public var canonicalize = true

    public init(fuse: Bool = true, canonicalize: Bool = true) {
        self.fuse = fuse
        self.canonicalize = canonicalize
    }
}

/// Views a row-program step can read and write (`PK_MAX_INPUTS`, outputs of `pk_step`).
let rowProgramInputLimit = 12
let rowProgramOutputLimit = 4

/// Compiles a graph ahead of time into a `Plan`: canonicalise, fuse, schedule, lower to
/// kernel steps, plan memory, place barriers, and verify the result.
public func compile(_ graph: Graph, options: CompileOptions = CompileOptions()) throws -> Plan {
    let g = options.canonicalize ? try PassManager.simplify.run(graph) : graph
    var fusion = FusionPlanner(graph: g, enabled: options.fuse)
    fusion.enforceLimits(maxInputs: rowProgramInputLimit, maxOutputs: rowProgramOutputLimit)

    // Units: one per fusion group, one per other node, in graph order.
    var units: [[NodeID]] = []
    var unitOf = [Int](repeating: -1, count: g.nodes.count)
    var unitOfGroup: [Int: Int] = [:]
    for node in g.nodes {
        if let group = fusion.groupOf[node.id.index] {
            if let u = unitOfGroup[group] {
                units[u].append(node.id)
                unitOf[node.id.index] = u
                continue
            }
            unitOfGroup[group] = units.count
        }
        unitOf[node.id.index] = units.count
        units.append([node.id])
    }
    let order = UnitScheduler(units: units).order(graph: g, unitOf: unitOf)

    var lowering = Lowering(graph: g, fusion: fusion)
    for u in order {
        if let group = fusion.groupOf[units[u][0].index] {
            lowering.emitGroup(group)
        } else {
            lowering.emitNode(g[units[u][0]])
        }
    }
    lowering.bindOutputs()

    var buffers = lowering.buffers
    var steps = lowering.steps
    MemoryPlanner.computeLiveness(&buffers, steps: steps, keepAlive: Set(lowering.outputs.map(\.buffer)))
    let activationBytes = MemoryPlanner.assignActivationOffsets(&buffers)
    let persistentBytes = MemoryPlanner.assignSequentialOffsets(&buffers, arena: .persistent)
    let constantBytes = MemoryPlanner.assignSequentialOffsets(&buffers, arena: .constants)
    BarrierPlacement.place(&steps, buffers: buffers)

    let notes = fusion.refusals.map { "%\($0.node.index) (\(g[$0.node].op.kind.rawValue) at \(g[$0.node].scope)): \($0.reason)" }
    let plan = Plan(
        buffers: buffers, steps: steps, feeds: lowering.feeds, outputs: lowering.outputs,
        constants: lowering.constants, activationBytes: activationBytes, persistentBytes: persistentBytes,
        constantBytes: constantBytes, lowerBoundBytes: MemoryPlanner.lowerBound(buffers, stepCount: steps.count),
        notes: notes)
    try verifyPlan(plan)
    return plan
}
