import GraphRuntime
import TensorGraph

/// Builds a row program over virtual registers, then maps them onto as few physical
/// registers as their lifetimes allow (each register is a row of floats in scratch).
struct RowProgramBuilder {
    private var code: [PlanInstruction] = []
    private var virtualCount = 0
    private var constants: [Float: Int] = [:]

    private mutating func fresh() -> Int {
        virtualCount += 1
        return virtualCount - 1
    }

    private mutating func emit(_ op: RowOpcode, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0,
                               imm: Float = 0, imm2: Float = 0) -> Int {
        let dst = fresh()
        code.append(PlanInstruction(op, dst: dst, a: a, b: b, c: c, imm: imm, imm2: imm2))
        return dst
    }

    mutating func load(_ input: Int) -> Int { emit(.load, input) }

    mutating func constant(_ value: Float) -> Int {
        if let r = constants[value] { return r }
        let r = emit(.const, imm: value)
        constants[value] = r
        return r
    }

    mutating func store(_ output: Int, _ register: Int) {
        code.append(PlanInstruction(.store, dst: 0, a: output, b: register))
    }

    /// The instructions computing `op` on registers `x`; returns the result register.
    mutating func lower(_ op: Op, inputs x: [Int], dtype: DType, inputDType: DType, rowLength: Int) -> Int {
        switch op {
        case .unary(let u):
            switch u {
            case .neg: return emit(.neg, x[0])
            case .exp: return emit(.exp, x[0])
            case .log: return emit(.log, x[0])
            case .sqrt: return emit(.sqrt, x[0])
            case .rsqrt: return emit(.rsqrt, x[0])
            case .abs: return emit(.abs, x[0])
            case .sign: return emit(.sign, x[0])
            case .tanh: return emit(.tanh, x[0])
            case .erf: return emit(.erf, x[0])
            case .sigmoid: return emit(.sigmoid, x[0])
            case .relu: return emit(.relu, x[0])
            case .gelu: return emit(.gelu, x[0])
            case .sin: return emit(.sin, x[0])
            case .cos: return emit(.cos, x[0])
            case .leakyRelu(let alpha): return emit(.leakyRelu, x[0], imm: Float(alpha))
            case .logicalNot: return emit(.not, x[0])
            }
        case .binary(let b):
            let opcode: RowOpcode
            switch b {
            case .add: opcode = .add
            case .sub: opcode = .sub
            case .mul: opcode = .mul
            case .div: opcode = .div
            case .pow: opcode = .pow
            case .maximum: opcode = .max
            case .minimum: opcode = .min
            case .equal: opcode = .eq
            case .notEqual: opcode = .ne
            case .less: opcode = .lt
            case .lessEqual: opcode = .le
            case .greater: opcode = .gt
            case .greaterEqual: opcode = .ge
            case .logicalAnd: opcode = .and
            case .logicalOr: opcode = .or
            }
            let r = emit(opcode, x[0], x[1])
            // Integer division truncates toward zero.
            return b == .div && dtype == .int32 ? emit(.trunc, r) : r
        case .select:
            return emit(.select, x[0], x[1], x[2])
        case .clamp(let lo, let hi):
            return emit(.clamp, x[0], imm: Float(lo), imm2: Float(hi))
        case .cast(let to):
            switch (inputDType, to) {
            case (.float32, .int32): return emit(.trunc, x[0])
            case (.float32, .bool), (.int32, .bool): return emit(.nonzero, x[0])
            default: return x[0]  // same value in float registers
            }
        case .stopGradient:
            return x[0]
        case .softmax:
            let m = emit(.rowMax, x[0])
            let e = emit(.exp, emit(.sub, x[0], m))
            return emit(.div, e, emit(.rowSum, e))
        case .layerNorm(let eps):
            let centered = emit(.sub, x[0], emit(.rowMean, x[0]))
            let variance = emit(.rowMean, emit(.mul, centered, centered))
            return emit(.mul, centered, emit(.rsqrt, emit(.add, variance, constant(Float(eps)))))
        case .l2Normalize(_, let eps):
            let norm = emit(.sqrt, emit(.rowSum, emit(.mul, x[0], x[0])))
            return emit(.div, x[0], emit(.max, norm, constant(Float(eps))))
        case .reduce(let r, _, _):
            switch r {
            case .sum: return emit(.rowSum, x[0])
            case .max: return emit(.rowMax, x[0])
            case .mean: return emit(.rowMean, x[0])
            case .logSumExp:
                let m = emit(.rowMax, x[0])
                let s = emit(.rowSum, emit(.exp, emit(.sub, x[0], m)))
                return emit(.add, emit(.log, s), m)
            }
        default:
            fatalError("row programs cannot compute \(op.kind)")
        }
    }

    /// The program with physical registers (linear scan over last uses).
    func finish() -> (instructions: [PlanInstruction], registers: Int) {
        var lastUse = [Int](repeating: -1, count: virtualCount)
        for (i, ins) in code.enumerated() {
            for r in reads(ins) { lastUse[r] = i }
        }
        var physical = [Int](repeating: -1, count: virtualCount)
        var free: [Int] = []
        var count = 0
        var out: [PlanInstruction] = []
        for (i, ins) in code.enumerated() {
            var mapped = ins
            let readRegs = reads(ins)
            func map(_ r: Int16) -> Int16 { Int16(physical[Int(r)]) }
            switch ins.op {
            case .load, .const: break
            case .store: mapped.b = map(ins.b)
            default:
                mapped.a = map(ins.a)
                if readRegs.count > 1 { mapped.b = map(ins.b) }
                if readRegs.count > 2 { mapped.c = map(ins.c) }
            }
            // Registers whose last read is this instruction are free for its result (element-wise
            // ops read and write the same index; row reductions read the whole row first).
            for r in Set(readRegs).sorted() where lastUse[r] == i { free.append(physical[r]) }
            if ins.op != .store {
                let d = Int(ins.dst)
                if let reuse = free.popLast() {
                    physical[d] = reuse
                } else {
                    physical[d] = count
                    count += 1
                }
                mapped.dst = Int16(physical[d])
                if lastUse[d] < 0 { free.append(physical[d]) }  // never read
            }
            out.append(mapped)
        }
        return (out, max(count, 1))
    }

    private func reads(_ ins: PlanInstruction) -> [Int] {
        switch ins.op {
        case .load, .const: return []
        case .store: return [Int(ins.b)]
        case .select: return [Int(ins.a), Int(ins.b), Int(ins.c)]
        case .add, .sub, .mul, .div, .pow, .max, .min, .eq, .ne, .lt, .le, .gt, .ge, .and, .or:
            return [Int(ins.a), Int(ins.b)]
        default: return [Int(ins.a)]
        }
    }
}
