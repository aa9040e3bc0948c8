/// A source whose random augmentation (a horizontal flip) is drawn afresh each epoch, so the
/// same picture is not mirrored the same way every time. `BatchLoader` passes the epoch to
/// sources that conform; `example(at:)` is epoch 0.
public protocol EpochExampleSource: ExampleSource {
    /// Example `index` as epoch `epoch` sees it.
    func example(at index: Int, epoch: Int) throws -> TrainingExample
}

extension EpochExampleSource {
    public func example(at index: Int) throws -> TrainingExample {
        try example(at: index, epoch: 0)
    }
}
