import GraphRuntime
import TensorGraph

extension PlanView {
    /// Whether the view reads its elements row-major without gaps (from its offset).
    var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// This view broadcast to `target` (NumPy rules): missing leading axes and stretched
    /// size-1 axes get stride 0.
    func broadcast(to target: [Int]) -> PlanView {
        let lead = target.count - shape.count
        var newStrides = [Int](repeating: 0, count: target.count)
        for j in 0..<target.count where j >= lead {
            let k = j - lead
            newStrides[j] = (shape[k] == 1 && target[j] != 1) ? 0 : strides[k]
        }
        return PlanView(buffer: buffer, elementOffset: elementOffset, shape: target, strides: newStrides)
    }

    /// The same view with its axes reordered (`perm[i]` is the old axis of new axis i).
    func permuted(_ perm: [Int]) -> PlanView {
        PlanView(buffer: buffer, elementOffset: elementOffset, shape: perm.map { shape[$0] },
                 strides: perm.map { strides[$0] })
    }

    /// The view with a size-1 axis inserted at `axis` (stride irrelevant, set to 0).
    func inserting(axis: Int) -> PlanView {
        var s = shape, st = strides
        s.insert(1, at: axis)
        st.insert(0, at: axis)
        return PlanView(buffer: buffer, elementOffset: elementOffset, shape: s, strides: st)
    }
}

/// Merges adjacent axes that every view walks as one (stride[i] == stride[i+1] · extent[i+1])
/// and drops size-1 axes, so kernels see long contiguous runs. With `keepLast`, the last axis
/// (a row program's reduction axis) is never merged into.
func coalesce(shape: [Int], views: [PlanView], keepLast: Bool) -> (shape: [Int], views: [PlanView]) {
    var shape = shape
    var strides = views.map(\.strides)
    // Drop size-1 axes (but keep at least one axis, and the row axis when asked).
    var axis = 0
    while axis < shape.count {
        let isLast = axis == shape.count - 1
        if shape[axis] == 1 && shape.count > 1 && !(keepLast && isLast) {
            shape.remove(at: axis)
            for v in strides.indices { strides[v].remove(at: axis) }
        } else {
            axis += 1
        }
    }
    axis = shape.count - 2
    while axis >= 0 {
        let intoLast = axis + 1 == shape.count - 1
        let mergeable = !(keepLast && intoLast)
            && strides.allSatisfy { $0[axis] == $0[axis + 1] * shape[axis + 1] }
        if mergeable {
            shape[axis] *= shape[axis + 1]
            shape.remove(at: axis + 1)
            for v in strides.indices {
                strides[v][axis] = strides[v][axis + 1]
                strides[v].remove(at: axis + 1)
            }
        }
        axis -= 1
    }
    let merged = zip(views, strides).map { view, s in
        PlanView(buffer: view.buffer, elementOffset: view.elementOffset, shape: shape, strides: s)
    }
    return (shape, merged)
}
