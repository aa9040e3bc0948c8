import GraphRuntime
import TensorGraph

/// Moves f32 state between plan executors by name, buffer to buffer (no `HostTensor` on the
/// way): how the trainer hands the discriminator's weights to the generator step, the generator's
/// weights to the evaluation plan, and optimizer state between the two discriminator plans.
enum ExecutorTransfer {
    /// Copies the f32 feed or output `source` of `from` into the feed `target` of `to`.
    /// - Throws: `PlanRunError` when a name is missing or the sizes differ.
    static func copy(_ source: String, of from: PlanExecutor, to target: String, of to: PlanExecutor) throws {
        try from.withFloatBuffer(source) { src in
            try to.withFloatBuffer(target) { dst in
                guard src.count == dst.count else {
                    throw PlanRunError.feedTypeMismatch(name: target, expected: TensorType([dst.count], .float32),
                                                        got: TensorType([src.count], .float32))
                }
                _ = dst.update(fromContentsOf: src)
            }
        }
    }

    /// The f32 feed `name` of `executor` as a host tensor; nil when the plan has no such f32 feed.
    static func feed(_ name: String, of executor: PlanExecutor) -> HostTensor? {
        guard let binding = executor.plan.feeds.first(where: { $0.name == name }), binding.type.dtype == .float32 else {
            return nil
        }
        return try? executor.withFloatBuffer(name) { buffer in
            HostTensor(shape: binding.type.shape, scalars: buffer.map(Double.init))
        }
    }

    /// Copies frame `frames[b]` of every video b of the f32[b, c, f, h, w] buffer `video` into
    /// the f32[b, c, h, w] feed `target`: the frames the GAN step judged, handed to the
    /// discriminator step.
    static func copyFrames(_ video: String, of from: PlanExecutor, frames: [Int], shape: [Int], to target: String,
                           of to: PlanExecutor) throws {
        let (batch, channels, count, plane) = (shape[0], shape[1], shape[2], shape[3] * shape[4])
        try from.withFloatBuffer(video) { src in
            try to.withFloatBuffer(target) { dst in
                precondition(src.count == batch * channels * count * plane && dst.count == batch * channels * plane)
                for b in 0..<batch {
                    for c in 0..<channels {
                        let s = ((b * channels + c) * count + frames[b]) * plane
                        let d = (b * channels + c) * plane
                        _ = UnsafeMutableBufferPointer(rebasing: dst[d..<(d + plane)])
                            .update(fromContentsOf: src[s..<(s + plane)])
                    }
                }
            }
        }
    }
}
