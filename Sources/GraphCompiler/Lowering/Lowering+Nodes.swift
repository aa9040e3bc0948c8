import GraphRuntime
import TensorGraph

extension Lowering {
    /// Emits the steps of one node that is not part of a fusion group.
    mutating func emitNode(_ node: Node) {
        let id = node.id.index
        let label = node.scope
        func step(_ kind: PlanStepKind, _ inputs: [PlanView], iattr: [Int] = [], fattr: [Float] = [],
                  flops: Double = 0) -> PlanView {
            let out = allocate(node)
            emit(PlanStep(kind: kind, inputs: inputs, outputs: [out], iattr: iattr, fattr: fattr,
                          label: label, nodes: [id], flops: flops))
            return out
        }
        switch node.op {
        case .parameter(let name, let initializer):
            let b = newBuffer(node.type, .persistent, label: name)
            addFeed(name, buffer: b, role: .parameter, initializer: initializer)
            location[id] = .contiguous(b, node.type.shape)
        case .input(let name):
            let b = newBuffer(node.type, .persistent, label: name)
            addFeed(name, buffer: b, role: .input)
            location[id] = .contiguous(b, node.type.shape)
        case .rngKey(let name):
            let b = newBuffer(node.type, .persistent, label: name)
            addFeed(name, buffer: b, role: .rngKey)
            location[id] = .contiguous(b, node.type.shape)
        case .constant(let values):
            addConstant(node, values: values)
        case .iota(let axis):
            _ = step(.iota, [], iattr: [axis])
        case .randomUniform:
            _ = step(.randomUniform, [contiguous(node.inputs[0])])
        case .randomNormal:
            _ = step(.randomNormal, [contiguous(node.inputs[0])])
        case .foldIn(let data):
            _ = step(.foldIn, [contiguous(node.inputs[0])], iattr: [data])

        // Views: no kernel.
        case .reshape(let shape):
            let v = contiguous(node.inputs[0])
            location[id] = PlanView(buffer: v.buffer, elementOffset: v.elementOffset, shape: shape,
                                    strides: contiguousStrides(shape))
        case .permute(let perm):
            location[id] = view(node.inputs[0]).permuted(perm)
        case .slice(let starts, _):
            let v = view(node.inputs[0])
            let offset = zip(starts, v.strides).reduce(v.elementOffset) { $0 + $1.0 * $1.1 }
            location[id] = PlanView(buffer: v.buffer, elementOffset: offset, shape: node.type.shape, strides: v.strides)
        case .expand(let shape):
            location[id] = view(node.inputs[0]).broadcast(to: shape)

        case .concat(let axis):
            let out = allocate(node)
            var start = 0
            for input in node.inputs {
                let extent = graph[input].type.shape[axis]
                var dst = out
                dst.elementOffset += start * out.strides[axis]
                dst.shape[axis] = extent
                emit(PlanStep(kind: .copy, inputs: [view(input)], outputs: [dst], label: label, nodes: [id]))
                start += extent
            }
        case .pad(let before, _, let value):
            let out = allocate(node)
            emit(PlanStep(kind: .fill, inputs: [], outputs: [out], fattr: [Float(value)], label: label, nodes: [id]))
            var interior = out
            interior.elementOffset += zip(before, out.strides).reduce(0) { $0 + $1.0 * $1.1 }
            interior.shape = graph[node.inputs[0]].type.shape
            emit(PlanStep(kind: .copy, inputs: [view(node.inputs[0])], outputs: [interior], label: label, nodes: [id]))

        case .reduce(let op, let axes, _):
            let input = view(node.inputs[0])
            let keptShape = reducedShape(input.shape, axes: axes, keepDims: true)
            let out = allocate(node)
            let outView = PlanView(buffer: out.buffer, shape: keptShape, strides: contiguousStrides(keptShape))
            let code: Int
            switch op {
            case .sum: code = 0
            case .max: code = 1
            case .mean: code = 2
            case .logSumExp: code = 3
            }
            emit(PlanStep(kind: .reduce, inputs: [input], outputs: [outView], iattr: [code], label: label,
                          nodes: [id], flops: Double(input.shape.reduce(1, *))))
        case .argmax(let axis, _):
            let input = view(node.inputs[0])
            let keptShape = reducedShape(input.shape, axes: [axis], keepDims: true)
            let out = allocate(node)
            let outView = PlanView(buffer: out.buffer, shape: keptShape, strides: contiguousStrides(keptShape))
            emit(PlanStep(kind: .argmax, inputs: [input], outputs: [outView], iattr: [axis], label: label, nodes: [id]))

        case .matmul(let ta, let tb):
            emitMatmul(node, transposeA: ta, transposeB: tb)

        case .gather(let axis):
            _ = step(.gather, [contiguous(node.inputs[0]), contiguous(node.inputs[1])], iattr: [axis])
        case .scatterAdd(let axis, _):
            _ = step(.scatterAdd, [contiguous(node.inputs[0]), contiguous(node.inputs[1])], iattr: [axis])
        case .takeAlongAxis(let axis):
            _ = step(.takeAlong, [contiguous(node.inputs[0]), contiguous(node.inputs[1])], iattr: [axis])
        case .scatterAlongAxisAdd(let axis, _):
            _ = step(.scatterAlong, [contiguous(node.inputs[0]), contiguous(node.inputs[1])], iattr: [axis])
        case .oneHot(let depth):
            _ = step(.oneHot, [contiguous(node.inputs[0])], iattr: [depth])
        case .topK(let k, let axis):
            _ = step(.topK, [contiguous(node.inputs[0])], iattr: [k, axis])
        case .argsort(let axis, let descending):
            _ = step(.argsort, [contiguous(node.inputs[0])], iattr: [axis, descending ? 1 : 0])

        case .conv(let stride, let padding, let groups):
            let w = graph[node.inputs[1]].type.shape
            let macs = Double(node.type.count) * Double(w.dropFirst().reduce(1, *))
            _ = step(.conv, [contiguous(node.inputs[0]), contiguous(node.inputs[1])],
                     iattr: convAttributes(stride, padding, groups), flops: 2 * macs)
        case .convTranspose(let stride, let padding, let groups, _):
            let w = graph[node.inputs[1]].type.shape
            let macs = Double(graph[node.inputs[0]].type.count) * Double(w.dropFirst().reduce(1, *))
            _ = step(.convTranspose, [contiguous(node.inputs[0]), contiguous(node.inputs[1])],
                     iattr: convAttributes(stride, padding, groups), flops: 2 * macs)
        case .convWeightGrad(let stride, let padding, let groups, _):
            let macs = Double(graph[node.inputs[1]].type.count) * Double(node.type.shape.dropFirst().reduce(1, *))
            _ = step(.convWeightGrad, [contiguous(node.inputs[0]), contiguous(node.inputs[1])],
                     iattr: convAttributes(stride, padding, groups), flops: 2 * macs)

        case .attention(let scale, let hasBias, let hasMask):
            emitAttention(node, scale: scale, hasBias: hasBias, hasMask: hasMask)
        case .attentionGrad(_, let scale, let hasBias, let hasMask):
            if location[id] == nil { emitAttentionBackward(node, scale: scale, hasBias: hasBias, hasMask: hasMask) }

        case .unary, .binary, .select, .clamp, .cast, .stopGradient, .softmax, .layerNorm, .l2Normalize:
            fatalError("lowering: \(node.op.kind) at %\(id) must be in a fusion group")
        }
    }

    private func convAttributes(_ stride: [Int], _ padding: [Int], _ groups: Int) -> [Int] {
        let pad3 = { (xs: [Int]) in xs + [Int](repeating: 0, count: 3 - xs.count) }
        return [stride.count, groups] + pad3(stride) + pad3(padding)
    }

    /// A batched GEMM. Operand views are used in place when their last axis has unit stride
    /// (or their second-last, which flips the transpose flag); otherwise they are copied.
    private mutating func emitMatmul(_ node: Node, transposeA: Bool, transposeB: Bool) {
        let outShape = node.type.shape
        let batch = Array(outShape.dropLast(2))
        func operand(_ id: NodeID, _ transposed: Bool) -> (PlanView, Bool) {
            var v = view(id)
            var t = transposed
            let r = v.shape.count
            let usable = { (v: PlanView) -> Bool in
                v.strides[r - 1] == 1 && v.strides[r - 2] >= max(1, v.shape[r - 1])
            }
            if !usable(v) {
                var swapped = v
                swapped.shape.swapAt(r - 1, r - 2)
                swapped.strides.swapAt(r - 1, r - 2)
                if usable(swapped) {
                    v = swapped
                    t.toggle()
                } else {
                    v = contiguous(id)
                }
            }
            // Express the batch axes in the output's batch coordinates (0 = broadcast).
            let matrix = Array(v.shape.suffix(2)), matrixStrides = Array(v.strides.suffix(2))
            let own = PlanView(buffer: v.buffer, elementOffset: v.elementOffset,
                               shape: Array(v.shape.dropLast(2)), strides: Array(v.strides.dropLast(2)))
            let b = own.broadcast(to: batch)
            return (PlanView(buffer: v.buffer, elementOffset: v.elementOffset, shape: batch + matrix,
                             strides: b.strides + matrixStrides), t)
        }
        let (a, ta) = operand(node.inputs[0], transposeA)
        let (b, tb) = operand(node.inputs[1], transposeB)
        let m = outShape[outShape.count - 2], n = outShape[outShape.count - 1]
        let aShape = graph[node.inputs[0]].type.shape
        let k = transposeA ? aShape[aShape.count - 2] : aShape[aShape.count - 1]
        let out = allocate(node)
        let flops = 2 * Double(batch.reduce(1, *)) * Double(m) * Double(n) * Double(k)
        emit(PlanStep(kind: .gemm, inputs: [a, b], outputs: [out], iattr: [ta ? 1 : 0, tb ? 1 : 0, m, n, k],
                      fattr: [1, 0], label: node.scope, nodes: [node.id.index], flops: flops))
    }
}
