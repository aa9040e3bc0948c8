import GraphRuntime
import TensorGraph

extension Lowering {
    /// Runs a fusion group as the epilogue of the GEMM that produced one of its inputs (bias,
    /// activation, residual add applied to C's rows while they are in cache, stored back into C)
    /// when that is exactly equivalent: the group stores one full-size value, C has no other
    /// reader, the group walks C row by row in C's own layout, and every other input of the
    /// group is ready before the GEMM runs. Returns false (and emits nothing) otherwise.
    mutating func fuseIntoGemmEpilogue(
        group: FusionGroup, program: [PlanInstruction], registers: Int, kernelShape: [Int],
        inputs: [PlanView], outputs: [PlanView], stored: NodeID, flops: Double
    ) -> Bool {
        guard outputs.count == 1, !inputs.isEmpty, inputs.count <= rowProgramInputLimit - 1,
              group.rowAxis == max(0, group.shape.count - 1) || group.shape.isEmpty else { return false }
        // The GEMM whose output C the group reads.
        guard let c = inputs.firstIndex(where: { input in
            guard let step = steps.lastIndex(where: { $0.outputs.contains { $0.buffer == input.buffer } }) else { return false }
            return steps[step].kind == .gemm
        }) else { return false }
        let cBuffer = inputs[c].buffer
        guard let g = steps.lastIndex(where: { $0.outputs.contains { $0.buffer == cBuffer } }),
              steps[g].iattr.count >= 5, steps[g].program.isEmpty else { return false }
        let gemm = steps[g]
        let cView = gemm.outputs[0]
        guard cView.shape.count == 2, cView.isContiguous, cView.elementOffset == 0 else { return false }
        let (m, n) = (cView.shape[0], cView.shape[1])
        // Nobody but this group reads C (no step since the GEMM, no other consumer later).
        guard !steps[(g + 1)...].contains(where: { $0.inputs.contains { $0.buffer == cBuffer } }) else { return false }
        guard let producer = gemm.nodes.first else { return false }
        let aliases = viewClosure(of: NodeID(producer))
        let members = Set(group.members)
        guard !aliases.contains(where: { fusion.isOutput[$0.index] }),
              aliases.allSatisfy({ alias in
                  fusion.consumers[alias.index].allSatisfy { reader in
                      isView(graph.nodes[reader].op) || members.contains(NodeID(reader))
                  }
              }) else { return false }
        // C is overwritten in place: the program must read it before its store.
        guard let firstStore = program.firstIndex(where: { $0.op == .store }),
              !program[firstStore...].contains(where: { $0.op == .load && Int($0.a) == c }) else { return false }
        // Every other input is written before the GEMM.
        for (i, input) in inputs.enumerated() where i != c {
            if let last = steps.lastIndex(where: { $0.outputs.contains { $0.buffer == input.buffer } }), last > g {
                return false
            }
        }
        // Walk C's rows in C's layout: the iteration space coalesces to [m, n].
        let (shape, views) = coalesce(shape: kernelShape, views: inputs + outputs, keepLast: true)
        var mapped = views
        if shape.count == 1 && m == 1 {
            mapped = views.map { $0.inserting(axis: 0) }
        } else if !(shape.count == 2 && shape == [m, n]) {
            return false
        }
        guard mapped[c].strides == [n, 1] || (m == 1 && mapped[c].strides.last == 1),
              mapped[c].elementOffset == 0, mapped.last!.strides == mapped[c].strides else { return false }
        // Program inputs: 0 is C, 2... are the others; the one output is C itself.
        var extra: [PlanView] = []
        var inputIndex: [Int: Int] = [:]
        for (i, view) in mapped.prefix(inputs.count).enumerated() {
            if i == c {
                inputIndex[i] = 0
            } else {
                inputIndex[i] = 2 + extra.count
                extra.append(PlanView(buffer: view.buffer, elementOffset: view.elementOffset, shape: [m, n],
                                      strides: view.strides))
            }
        }
        let code = program.map { ins -> PlanInstruction in
            var ins = ins
            if ins.op == .load { ins.a = Int16(inputIndex[Int(ins.a)]!) }
            if ins.op == .store { ins.a = 0 }
            return ins
        }
        steps[g].inputs = Array(gemm.inputs.prefix(2)) + extra
        steps[g].program = code
        steps[g].registers = registers
        steps[g].nodes += group.members.map(\.index)
        steps[g].label += " + epilogue"
        steps[g].flops += flops
        // The stored value now lives in C's buffer, in place.
        let node = graph[stored]
        location[stored.index] = PlanView(buffer: cBuffer, shape: node.type.shape, strides: contiguousStrides(node.type.shape))
        return true
    }
}

/// Ops whose result is a view of their input's memory (no kernel reads the data).
func isView(_ op: Op) -> Bool {
    switch op {
    case .reshape, .permute, .slice, .expand: return true
    default: return false
    }
}

extension Lowering {
    /// `id` and every value that is a view (chain) of it.
    func viewClosure(of id: NodeID) -> Set<NodeID> {
        var closure: Set<NodeID> = [id]
        var stack = [id.index]
        while let next = stack.popLast() {
            for reader in fusion.consumers[next] where isView(graph.nodes[reader].op) {
                if closure.insert(NodeID(reader)).inserted { stack.append(reader) }
            }
        }
        return closure
    }
}
