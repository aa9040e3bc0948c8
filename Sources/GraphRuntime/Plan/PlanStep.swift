import TensorGraph

/// One kernel call of a plan. Field use depends on `kind` and mirrors `pk_step` in
/// `CKernels/include/pk_plan.h`.
public struct PlanStep: Codable, Hashable, Sendable {
    public var kind: PlanStepKind
    public var inputs: [PlanView]
    public var outputs: [PlanView]
    public var iattr: [Int]
    public var fattr: [Float]
    /// The row program of a `rowProgram` step (or a GEMM epilogue).
    public var program: [PlanInstruction]
    public var registers: Int
    /// Whether every thread waits here before the next step starts.
    public var barrierAfter: Bool
    /// Scope path of the graph nodes this step computes, and their ids, for dumps.
    public var label: String
    public var nodes: [Int]
    /// Floating-point operations this step performs.
    public var flops: Double

    public init(kind: PlanStepKind, inputs: [PlanView], outputs: [PlanView], iattr: [Int] = [], fattr: [Float] = [],
                program: [PlanInstruction] = [], registers: Int = 0, barrierAfter: Bool = true,
                label: String, nodes: [Int], flops: Double = 0) {
        self.kind = kind
        self.inputs = inputs
        self.outputs = outputs
        self.iattr = iattr
        self.fattr = fattr
        self.program = program
        self.registers = registers
        self.barrierAfter = barrierAfter
        self.label = label
        self.nodes = nodes
        self.flops = flops
    }
}

/// The kernels of the runtime (values equal the C `PK_STEP_*` constants).
public enum PlanStepKind: Int32, Codable, Hashable, Sendable, CaseIterable {
    case rowProgram = 0, gemm, copy, fill, reduce, argmax, gather, scatterAdd, takeAlong, scatterAlong
    case oneHot, topK, argsort, conv, convTranspose, convWeightGrad, randomUniform, randomNormal, foldIn, iota
    case attention, attentionBackward
}

/// One instruction of a row program (mirrors `pk_instr`).
public struct PlanInstruction: Codable, Hashable, Sendable {
    public var op: RowOpcode
    public var dst: Int16
    public var a: Int16
    public var b: Int16
    public var c: Int16
    public var imm: Float
    public var imm2: Float

    public init(_ op: RowOpcode, dst: Int = 0, a: Int = 0, b: Int = 0, c: Int = 0, imm: Float = 0, imm2: Float = 0) {
        self.op = op
        self.dst = Int16(dst)
        self.a = Int16(a)
        self.b = Int16(b)
        self.c = Int16(c)
        self.imm = imm
        self.imm2 = imm2
    }
}

/// Row-program opcodes (values equal the C `PK_OP_*` constants).
public enum RowOpcode: Int16, Codable, Hashable, Sendable, CaseIterable {
    case load = 0, const, store
    case neg, exp, log, sqrt, rsqrt, abs, sign, tanh, erf, sigmoid, relu, gelu, sin, cos
    case leakyRelu, not, trunc, nonzero, clamp
    case add, sub, mul, div, pow, max, min, eq, ne, lt, le, gt, ge, and, or
    case select
    case rowSum, rowMax, rowMean
}
