import CKernels

/// Where a non-finite value (NaN or ±inf) first appears in a run: a feed that already holds one,
/// or the first step whose output has one.
public struct NonFiniteSite: Hashable, Sendable, CustomStringConvertible {
    /// The step's index, or nil when a feed (`scope` is then its name) holds the value.
    public let step: Int?
    /// The step's kernel (nil for a feed).
    public let kind: PlanStepKind?
    /// The scope path of the step's graph nodes (e.g. `enc_spatial_transformer.layers.0.0.to_q`),
    /// or the feed's name.
    public let scope: String
    /// Row-major index of the first such element in the step's output or the feed.
    public let element: Int

    public init(step: Int?, kind: PlanStepKind?, scope: String, element: Int) {
        self.step = step
        self.kind = kind
        self.scope = scope
        self.element = element
    }

    public var description: String {
        if let step, let kind {
            return "the first non-finite value comes from \(scope) (step \(step), \(kind), element \(element))"
        }
        return "feed \(scope) holds a non-finite value (element \(element))"
    }
}

extension PlanExecutor {
    /// Runs the plan again on the feeds it holds, step by step, and returns where the first
    /// NaN or ±inf appears (nil: nowhere). Meant to run only after a cheap check (such as a
    /// training plan's `train.finite`) fired: it costs a run plus a scan of every output.
    /// The outputs afterwards are those of a normal run on the same feeds.
    public func locateNonFinite() throws -> NonFiniteSite? {
        var found: NonFiniteSite?
        var bases = arenas
        try bases.withUnsafeMutableBufferPointer { buffer in
            let raw = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            for binding in plan.feeds where binding.type.dtype == .float32 {
                var view = cView(.contiguous(binding.buffer, [plan.buffers[binding.buffer].type.count]))
                let hit = pk_view_find_nonfinite(&view, raw)
                if hit >= 0 {
                    found = NonFiniteSite(step: nil, kind: nil, scope: binding.name, element: Int(hit))
                    return
                }
            }
            pk_clear_error()
            for s in plan.steps.indices {
                pk_execute(steps.advanced(by: s), 1, raw, Int32(threads))
                guard found == nil else { continue }
                let step = plan.steps[s]
                for i in step.outputs.indices {
                    var view = withUnsafePointer(to: &steps[s].outputs) {
                        $0.withMemoryRebound(to: pk_view.self, capacity: 4) { $0[i] }
                    }
                    let hit = pk_view_find_nonfinite(&view, raw)
                    if hit >= 0 {
                        found = NonFiniteSite(step: s, kind: step.kind, scope: step.label, element: Int(hit))
                        break
                    }
                }
            }
        }
        let code = pk_last_error()
        if code != Int32(PK_ERR_NONE) {
            throw PlanRunError.kernel(code: code, step: -1, label: "non-finite diagnosis")
        }
        return found
    }
}
