import TensorGraph

/// A compiled program: a flat list of kernel steps over buffers at fixed arena offsets.
///
/// A plan is a value. The compiler (`GraphCompiler.compile`) makes one from a graph; it can be
/// dumped, written to a file and loaded back; `PlanExecutor` runs it without the compiler.
/// Every element takes 4 bytes in the runtime (float32, int32, and bool as a 0/1 int32).
public struct Plan: Codable, Hashable, Sendable {
    /// Bumped whenever the meaning of any field changes; loading another version fails.
    public static let formatVersion = 2

    public var buffers: [PlanBuffer]
    public var steps: [PlanStep]
    /// Values fed by name before a run (parameters, inputs, RNG keys), in graph order.
    public var feeds: [PlanBinding]
    /// Values read by name after a run.
    public var outputs: [PlanBinding]
    /// Contents of the constants arena.
    public var constants: [PlanConstant]
    /// Bytes of each arena.
    public var activationBytes: Int
    public var persistentBytes: Int
    public var constantBytes: Int
    /// The most activation bytes live at once: no arena layout can be smaller.
    public var lowerBoundBytes: Int
    /// What the compiler decided and why (fusion refusals, recomputation), for dumps.
    public var notes: [String]

    public init(buffers: [PlanBuffer], steps: [PlanStep], feeds: [PlanBinding], outputs: [PlanBinding],
                constants: [PlanConstant], activationBytes: Int, persistentBytes: Int, constantBytes: Int,
                lowerBoundBytes: Int, notes: [String]) {
        self.buffers = buffers
        self.steps = steps
        self.feeds = feeds
        self.outputs = outputs
        self.constants = constants
        self.activationBytes = activationBytes
        self.persistentBytes = persistentBytes
        self.constantBytes = constantBytes
        self.lowerBoundBytes = lowerBoundBytes
        self.notes = notes
    }

    /// Steps followed by a barrier.
    public var barrierCount: Int { steps.filter(\.barrierAfter).count }
    /// Floating-point operations of one run (GEMMs and convolutions counted as 2·MNK).
    public var flops: Double { steps.reduce(0) { $0 + $1.flops } }
}

/// Which memory region a buffer lives in.
public enum PlanArena: Int32, Codable, Hashable, Sendable {
    /// Intermediate values; offsets are reused once a value is dead.
    case activations = 0
    /// Parameters, inputs and state: never reused during a run.
    case persistent = 1
    /// Constants baked into the plan.
    case constants = 2
}

/// One planned buffer.
public struct PlanBuffer: Codable, Hashable, Sendable {
    public var arena: PlanArena
    /// Byte offset in the arena (64-byte aligned).
    public var offset: Int
    public var type: TensorType
    /// What the buffer holds (scope path or feed name), for dumps and errors.
    public var label: String
    /// First and last step that touch it (activations only; persistent buffers span the run).
    public var firstStep: Int
    public var lastStep: Int
    /// An earlier buffer whose memory this one takes over in place: that buffer's last step
    /// is this one's first, where a row program reads it element by element and writes this
    /// one at the same addresses.
    public var sharesMemoryWith: Int?

    public init(arena: PlanArena, offset: Int, type: TensorType, label: String, firstStep: Int, lastStep: Int) {
        self.arena = arena
        self.offset = offset
        self.type = type
        self.label = label
        self.firstStep = firstStep
        self.lastStep = lastStep
    }

    /// Bytes the runtime stores (4 per element whatever the dtype).
    public var byteCount: Int { type.count * 4 }
}

/// A strided window onto a buffer: element offset, shape and element strides (0 = broadcast).
public struct PlanView: Codable, Hashable, Sendable {
    public var buffer: Int
    public var elementOffset: Int
    public var shape: [Int]
    public var strides: [Int]

    public init(buffer: Int, elementOffset: Int = 0, shape: [Int], strides: [Int]) {
        self.buffer = buffer
        self.elementOffset = elementOffset
        self.shape = shape
        self.strides = strides
    }

    /// The whole buffer, row-major.
    public static func contiguous(_ buffer: Int, _ shape: [Int]) -> PlanView {
        PlanView(buffer: buffer, shape: shape, strides: contiguousStrides(shape))
    }
}

/// A named value at the plan's boundary.
public struct PlanBinding: Codable, Hashable, Sendable {
    public enum Role: String, Codable, Sendable { case parameter, input, rngKey, output }
    public var name: String
    public var buffer: Int
    public var role: Role
    /// The value's type (a reshaped output shares its buffer with a value of another shape).
    public var type: TensorType
    /// How a parameter's first value is drawn (so a plan file alone can start training).
    public var initializer: Initializer?
    public init(name: String, buffer: Int, role: Role, type: TensorType, initializer: Initializer? = nil) {
        self.name = name
        self.buffer = buffer
        self.role = role
        self.type = type
        self.initializer = initializer
    }
}

/// Values written into the constants arena when a plan is loaded.
public struct PlanConstant: Codable, Hashable, Sendable {
    public var buffer: Int
    /// One value broadcast over the buffer, or one per element.
    public var values: [Double]
    public init(buffer: Int, values: [Double]) {
        self.buffer = buffer
        self.values = values
    }
}
