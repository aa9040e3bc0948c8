import GraphRuntime
import TensorGraph

extension Lowering {
    /// Emits one fusion group as a row program: loads of the values it reads, one or a few
    /// instructions per member, and stores of the members needed elsewhere.
    mutating func emitGroup(_ index: Int) {
        let group = fusion.groups[index]
        let members = Set(group.members.map(\.index))
        // The iteration space, with the row axis moved last (a scalar space becomes [1]).
        let space = group.shape.isEmpty ? [1] : group.shape
        let rowAxis = group.shape.isEmpty ? 0 : group.rowAxis
        let order = (0..<space.count).filter { $0 != rowAxis } + [rowAxis]
        let kernelShape = order.map { space[$0] }

        var builder = RowProgramBuilder()
        var inputs: [PlanView] = []
        var outputs: [PlanView] = []
        var register: [Int: Int] = [:]   // node -> virtual register

        /// A view of a value in iteration coordinates, axes in kernel order.
        func iterationView(_ v: PlanView, valueShape: [Int]) -> PlanView {
            var shaped = v
            if valueShape != v.shape {  // a reduction without keepDims: re-insert the axis
                shaped = v.inserting(axis: rowAxis)
            }
            let spaceView = group.shape.isEmpty
                ? PlanView(buffer: v.buffer, elementOffset: v.elementOffset, shape: [1], strides: [0])
                : shaped.broadcast(to: space)
            return spaceView.permuted(order)
        }

        func operand(_ id: NodeID) -> Int {
            if let r = register[id.index] { return r }
            let node = graph[id]
            if case .constant(let values) = node.op, Set(values).count == 1 {
                let r = builder.constant(Float(values[0]))
                register[id.index] = r
                return r
            }
            inputs.append(iterationView(view(id), valueShape: node.type.shape))
            let r = builder.load(inputs.count - 1)
            register[id.index] = r
            return r
        }

        var flops = 0.0
        for id in group.members {
            let node = graph[id]
            let x = node.inputs.map(operand)
            let result = builder.lower(node.op, inputs: x, dtype: node.type.dtype,
                                       inputDType: node.inputs.first.map { graph[$0].type.dtype } ?? .float32,
                                       rowLength: space[rowAxis])
            register[id.index] = result
            flops += Double(space.reduce(1, *))
            if neededOutside[id.index] {
                let out = allocate(node)
                let role = RowRole(node)!
                outputs.append(iterationView(out, valueShape: role.valueShape(node, graph)))
                builder.store(outputs.count - 1, result)
            }
        }
        let program = builder.finish()
        if let stored = group.members.last(where: { neededOutside[$0.index] }),
           fuseIntoGemmEpilogue(group: group, program: program.instructions, registers: program.registers,
                                kernelShape: kernelShape, inputs: inputs, outputs: outputs, stored: stored, flops: flops) {
            return
        }
        // Kernels get the coalesced space; the row axis stays separate when the program reduces.
        let all = inputs + outputs
        let (shape, views) = coalesce(shape: kernelShape, views: all, keepLast: group.reduces)
        let inViews = Array(views.prefix(inputs.count)), outViews = Array(views.suffix(outputs.count))
        _ = shape
        let label = graph[group.members.last!].scope
        emit(PlanStep(kind: .rowProgram, inputs: inViews, outputs: outViews, program: program.instructions,
                      registers: program.registers, label: label, nodes: group.members.map(\.index), flops: flops))
        _ = members
    }
}
