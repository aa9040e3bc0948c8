import GraphRuntime

/// Lets a row program write its result over an input that dies at that step.
///
/// Safe when the input buffer's last step is this one, the input and the output are read and
/// written through the same whole-buffer, contiguous view (so every element is read and
/// written by the same thread at the same index), the program loads that input before it
/// stores that output, no other view of the step reads the buffer, and the output is not a
/// graph output. The output then takes over the input's memory (`sharesMemoryWith`).
enum InPlaceReuse {
    static func apply(_ buffers: inout [PlanBuffer], steps: [PlanStep], outputs: Set<Int>) -> [String] {
        var notes: [String] = []
        var taken = Set<Int>()
        for (s, step) in steps.enumerated() where step.kind == .rowProgram {
            for (o, out) in step.outputs.enumerated() {
                let bo = out.buffer
                guard buffers[bo].arena == .activations, buffers[bo].firstStep == s, !outputs.contains(bo),
                      wholeContiguous(out, buffers[bo]) else { continue }
                for (i, input) in step.inputs.enumerated() {
                    let bi = input.buffer
                    guard !taken.contains(bi), buffers[bi].arena == .activations, buffers[bi].lastStep == s,
                          buffers[bi].firstStep < s, !outputs.contains(bi),
                          buffers[bi].byteCount == buffers[bo].byteCount,
                          input == PlanView(buffer: bi, elementOffset: out.elementOffset, shape: out.shape, strides: out.strides),
                          step.inputs.enumerated().allSatisfy({ $0.offset == i || $0.element.buffer != bi }),
                          loadsBeforeStore(step.program, input: i, output: o) else { continue }
                    buffers[bo].sharesMemoryWith = bi
                    taken.insert(bi)
                    notes.append("in place: \(buffers[bo].label) \(buffers[bo].type) reuses the memory of "
                        + "\(buffers[bi].label) at step \(s)")
                    break
                }
            }
        }
        return notes
    }

    private static func wholeContiguous(_ view: PlanView, _ buffer: PlanBuffer) -> Bool {
        view.isContiguous && view.elementOffset == 0 && view.shape.reduce(1, *) == buffer.type.count
    }

    /// Every load of `input` comes before the first store of `output` (programs run per row
    /// or per tile, in instruction order).
    private static func loadsBeforeStore(_ program: [PlanInstruction], input: Int, output: Int) -> Bool {
        guard let store = program.firstIndex(where: { $0.op == .store && Int($0.a) == output }) else { return false }
        return !program[store...].contains { $0.op == .load && Int($0.a) == input }
    }
}
