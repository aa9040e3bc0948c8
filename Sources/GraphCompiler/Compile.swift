import GraphRuntime
import TensorGraph

/// Settings of `compile`.
public struct CompileOptions: Sendable {
    /// Fuse element-wise and row ops into row programs (off: one row program per op).
    public var fuse = true
    /// Run the simplification passes first (algebraic identities, constant folding, transpose
    /// folding, CSE, dead code).
    public var canonicalize = true
    /// The most bytes the activation arena may take. When the first plan is larger, the compiler
    /// recomputes cheap values instead of keeping them alive (see `Rematerialization`) until the
    /// plan fits, or throws `CompileError.memoryBudgetUnreachable`. nil: no limit.
    public var memoryBudget: Int?

    public init(fuse: Bool = true, canonicalize: Bool = true, memoryBudget: Int? = nil) {
        self.fuse = fuse
        self.canonicalize = canonicalize
        self.memoryBudget = memoryBudget
    }
}

/// Errors of `compile` that the caller can fix by changing the options.
public enum CompileError: Error, Equatable, CustomStringConvertible {
    /// No rematerialisation made the activation arena fit `budget`: the smallest arena reached,
    /// and that plan's lower bound (its most bytes live at once, which no layout beats).
    case memoryBudgetUnreachable(budget: Int, smallestArena: Int, lowerBound: Int, recomputedValues: Int)

    public var description: String {
        switch self {
        case .memoryBudgetUnreachable(let budget, let smallest, let bound, let recomputed):
            return "the activation arena cannot fit a memory budget of \(budget) bytes: recomputing "
                + "\(recomputed) values brought it down to \(smallest) bytes (at least \(bound) bytes are live "
                + "at once in that plan); raise the budget to \(smallest) bytes or more"
        }
    }
}

/// Views a row-program step can read and write (`PK_MAX_INPUTS`, outputs of `pk_step`).
let rowProgramInputLimit = 12
let rowProgramOutputLimit = 4

/// Compiles a graph ahead of time into a `Plan`: canonicalise, rematerialise to fit the memory
/// budget (if any), fuse, schedule, lower to kernel steps, plan memory, place barriers, and
/// verify the result.
public func compile(_ graph: Graph, options: CompileOptions = CompileOptions()) throws -> Plan {
    let g = options.canonicalize ? try PassManager.simplify.run(graph) : graph
    let scheduled = ScheduledGraph(graph: g, fuse: options.fuse)
    let plan = try scheduled.plan()
    guard let budget = options.memoryBudget, plan.activationBytes > budget else { return plan }
    return try Rematerialization.fit(scheduled, plan: plan, budget: budget)
}

/// A graph with its fusion groups and a schedule of its units, ready to lower.
struct ScheduledGraph {
    let graph: Graph
    let fusion: FusionPlanner
    /// Units in graph order: one per fusion group, one per other node.
    let units: [[NodeID]]
    /// The unit of every node.
    let unitOf: [Int]
    /// Units in the order they run.
    let order: [Int]
    /// Nodes that recompute a value of another node (rematerialisation clones).
    let recomputed: [Bool]

    /// Fuses and schedules `graph`; `recomputed` marks clones (none by default).
    init(graph g: Graph, fuse: Bool, recomputed: [Bool]? = nil) {
        let recomputed = recomputed ?? [Bool](repeating: false, count: g.nodes.count)
        var fusion = FusionPlanner(graph: g, enabled: fuse, recomputed: recomputed)
        fusion.enforceLimits(maxInputs: rowProgramInputLimit, maxOutputs: rowProgramOutputLimit)

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
        // A unit is lazy when all it does is recompute: it runs just before its first reader.
        let lazy = units.map { members in members.allSatisfy { recomputed[$0.index] } }
        graph = g
        self.fusion = fusion
        self.units = units
        self.unitOf = unitOf
        self.recomputed = recomputed
        order = UnitScheduler(units: units, lazy: lazy).order(graph: g, unitOf: unitOf)
    }

    /// Lowers the scheduled units to a verified plan; `notes` are added after the fusion refusals.
    func plan(notes extraNotes: [String] = []) throws -> Plan {
        let g = graph
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
        let inPlaceNotes = InPlaceReuse.apply(&buffers, steps: steps, outputs: Set(lowering.outputs.map(\.buffer)))
        let activationBytes = MemoryPlanner.assignActivationOffsets(&buffers)
        let persistentBytes = MemoryPlanner.assignSequentialOffsets(&buffers, arena: .persistent)
        let constantBytes = MemoryPlanner.assignSequentialOffsets(&buffers, arena: .constants)
        BarrierPlacement.place(&steps, buffers: buffers)

        let notes = fusion.refusals.map { "%\($0.node.index) (\(g[$0.node].op.kind.rawValue) at \(g[$0.node].scope)): \($0.reason)" }
        let plan = Plan(
            buffers: buffers, steps: steps, feeds: lowering.feeds, outputs: lowering.outputs,
            constants: lowering.constants, activationBytes: activationBytes, persistentBytes: persistentBytes,
            constantBytes: constantBytes, lowerBoundBytes: MemoryPlanner.lowerBound(buffers, stepCount: steps.count),
            notes: notes + inPlaceNotes + extraNotes)
        try verifyPlan(plan)
        return plan
    }
}
