import GraphCompiler
import GraphRuntime

/// The bridge between a checkpoint and a training plan (`trainingGraph`): its state feeds are
/// the parameters `p`, the Adam moments `adam.m:p` / `adam.v:p`, the EMA `ema:p` and the step
/// `train.step`, where `p` is the weight's name under the graph's scope (`maskgit.` inside the
/// Phenaki loss, nothing in the `maskgit` graph).
extension Checkpoint {
    /// The `state.trainer` field holding `component`'s optimizer step: its plan's `train.step`,
    /// which Adam's bias correction reads. It lags `state.step` by the updates skipped for a
    /// non-finite loss or gradient (the plan leaves its state, the counter included, untouched).
    public static func optimizerStepField(_ component: CheckpointComponent) -> String {
        "optimizer_step." + component.rawValue
    }

    /// The feeds of `component`'s training state: its weights, its Adam moments and EMA when the
    /// checkpoint has them, and `train.step` (the optimizer step `absorbTrainingState` recorded,
    /// else `state.step`); every name prefixed with `scope` as the plan names it. A trainer starts
    /// moments it lacks at zero and an EMA it lacks at the weights.
    public func trainingFeeds(of component: CheckpointComponent, scope: String = "") -> [String: HostTensor] {
        var optimizerStep = Double(state.step)
        if case .number(let step)? = state.trainer[Self.optimizerStepField(component)] { optimizerStep = step }
        var feeds: [String: HostTensor] = [TrainingState.step: HostTensor(optimizerStep)]
        for (name, value) in weights[component] ?? [:] { feeds[scope + name] = value }
        for (name, value) in ema[component] ?? [:] { feeds[TrainingState.ema(scope + name)] = value }
        let prefixes = [TrainingState.firstMoment(""), TrainingState.secondMoment("")]
        for (name, value) in optimizer[component] ?? [:] {
            guard let prefix = prefixes.first(where: name.hasPrefix) else { continue }
            feeds[prefix + scope + name.dropFirst(prefix.count)] = value
        }
        return feeds
    }

    /// Takes `component`'s state from a training plan: for each weight `p`, the values `value`
    /// returns for `scope + p`, `adam.m:`/`adam.v:` and `ema:` of it (those it returns nil for
    /// stay as they are), and the step from `train.step`, as `state.step` and as the component's
    /// optimizer step (`optimizerStepField`, kept when a trainer then sets `state.step` to its own
    /// count of updates). Pass the plan's `next:` outputs after a step, e.g.
    /// `{ executor.output("next:" + $0) }`.
    public mutating func absorbTrainingState(of component: CheckpointComponent, scope: String = "",
                                             _ value: (String) -> HostTensor?) {
        guard let names = weights[component]?.keys else { return }
        for name in names {
            let scoped = scope + name
            if let v = value(scoped) { weights[component]![name] = v }
            for (feed, stored) in [(TrainingState.firstMoment(scoped), TrainingState.firstMoment(name)),
                                   (TrainingState.secondMoment(scoped), TrainingState.secondMoment(name))] {
                if let v = value(feed) { optimizer[component, default: [:]][stored] = v }
            }
            if let v = value(TrainingState.ema(scoped)) { ema[component, default: [:]][name] = v }
        }
        if let step = value(TrainingState.step)?.scalars.first {
            state.step = Int(step.rounded())
            state.trainer[Self.optimizerStepField(component)] = .number(step.rounded())
        }
    }
}
