import Foundation
import GraphRuntime
import MediaIO

/// Batches from an `ExampleSource` in a seeded, resumable order, decoded ahead by background
/// threads.
///
/// The examples form one endless stream: epoch `e` visits every example once, in the
/// permutation drawn from (seed, e), and batches take consecutive runs of `batchSize` from
/// the stream (a batch may span two epochs). Each batch carries the `DataOrderState` after
/// it; a loader started from that state yields exactly the batches that followed it.
///
/// With `threads > 0`, worker threads build batches in order into a queue of at most
/// `prefetch` batches ahead of the consumer, so a training step does not wait on decoding
/// when the workers keep up; `threads == 0` builds each batch inside `next()`. Both give the
/// same batches. A source error is thrown from the `next()` that reaches its batch, and again
/// from every later call: the stream cannot skip a batch and stay deterministic.
///
/// Data-parallel rank `rank` of `ranks` reads its shard: global batches of `ranks · batchSize`
/// consecutive stream examples, of which it takes the `rank`-th run of `batchSize`; the order
/// each batch carries is the one after the whole global batch, the same on every rank. The
/// ranks together see exactly the batches one process with batch `ranks · batchSize` would.
public final class BatchLoader: BatchStream {
    private let state: LoaderState
    private let threads: Int
    private var sequence = 0
    private var failure: (any Error)?

    /// - Parameters:
    ///   - source: the examples; all must have the same extent.
    ///   - batchSize: examples per batch, at least 1.
    ///   - seed: seeds the per-epoch permutations.
    ///   - order: where to start: a state a previous batch carried, or the beginning.
    ///   - prefetch: how many batches the workers may build ahead, at least 1.
    ///   - threads: background decoding threads; 0 decodes inside `next()`.
    ///   - rank, ranks: this process's shard (data-parallel training); 0 of 1 reads everything.
    /// - Throws: `DatasetError` when a count is out of range, the source is empty, or `order`
    ///   was drawn with another seed or lies outside the source.
    public init(source: any ExampleSource, batchSize: Int, seed: UInt64, order: DataOrderState = DataOrderState(),
                prefetch: Int = 4, threads: Int = 2, rank: Int = 0, ranks: Int = 1) throws {
        guard batchSize >= 1 else { throw DatasetError.invalidOption(reason: "batch size is \(batchSize); it must be at least 1") }
        guard prefetch >= 1 else { throw DatasetError.invalidOption(reason: "prefetch is \(prefetch); it must be at least 1") }
        guard threads >= 0 else { throw DatasetError.invalidOption(reason: "threads is \(threads); use 0 (no background threads) or more") }
        guard ranks >= 1, (0..<ranks).contains(rank) else {
            throw DatasetError.invalidOption(reason: "shard \(rank) of \(ranks) does not exist; the rank must lie in 0..<ranks")
        }
        guard source.count >= 1 else { throw DatasetError.invalidOption(reason: "the dataset has no example") }
        let fresh = order.epoch == 0 && order.cursor == 0
        guard fresh || order.permutationSeed == seed else {
            throw DatasetError.orderMismatch(reason: "the saved order was drawn with seed \(order.permutationSeed) but the loader has seed "
                + "\(seed); resume with the run's seed")
        }
        guard order.epoch >= 0, order.cursor >= 0, order.cursor <= source.count else {
            throw DatasetError.orderMismatch(reason: "epoch \(order.epoch), cursor \(order.cursor) does not fit a dataset of "
                + "\(source.count) examples; resume with the dataset the run was trained on")
        }
        let (start, overflow) = order.epoch.multipliedReportingOverflow(by: source.count)
        guard !overflow else { throw DatasetError.orderMismatch(reason: "epoch \(order.epoch) is out of range") }
        state = LoaderState(source: source, batchSize: batchSize, seed: seed, start: start + order.cursor, prefetch: prefetch,
                            rank: rank, ranks: ranks)
        self.threads = threads
        for _ in 0..<threads {
            let state = self.state
            let worker = Thread { state.work() }
            worker.name = "phenaki-data"
            worker.start()
        }
    }

    deinit { state.stop() }

    /// The next batch.
    /// - Throws: the source's error (a `DatasetError` naming the file) for the batch that holds
    ///   the failing example, or `DatasetError.shapeMismatch`.
    public func next() throws -> TrainingBatch {
        if let failure { throw failure }
        let result = threads == 0 ? state.build(sequence) : state.take(sequence)
        sequence += 1
        do {
            return try result.get()
        } catch {
            failure = error
            throw error
        }
    }
}

/// What the consumer and the workers share; every mutable field is guarded by `condition`.
private final class LoaderState: @unchecked Sendable {
    let source: any ExampleSource
    let batchSize: Int
    let seed: UInt64
    /// Position of the first example of batch 0 in the endless stream.
    let start: Int
    let prefetch: Int
    /// This loader's shard of each global batch of `ranks · batchSize` examples.
    let rank: Int, ranks: Int
    let condition = NSCondition()
    private var ready: [Int: Result<TrainingBatch, any Error>] = [:]
    private var claimed = 0
    private var consumed = 0
    private var stopped = false
    private var permutations: [Int: [Int]] = [:]

    init(source: any ExampleSource, batchSize: Int, seed: UInt64, start: Int, prefetch: Int, rank: Int, ranks: Int) {
        self.source = source
        self.batchSize = batchSize
        self.seed = seed
        self.start = start
        self.prefetch = prefetch
        self.rank = rank
        self.ranks = ranks
    }

    /// A worker: claims the next batch while fewer than `prefetch` wait, builds it, files it.
    func work() {
        condition.lock()
        while true {
            while !stopped && claimed >= consumed + prefetch { condition.wait() }
            if stopped { break }
            let mine = claimed
            claimed += 1
            condition.unlock()
            let result = build(mine)
            condition.lock()
            ready[mine] = result
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Waits for batch `sequence` from the workers.
    func take(_ sequence: Int) -> Result<TrainingBatch, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while ready[sequence] == nil { condition.wait() }
        consumed = sequence + 1
        condition.broadcast()
        return ready.removeValue(forKey: sequence)!
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Epoch `epoch`'s permutation, kept for the epochs in use.
    private func permutation(_ epoch: Int) -> [Int] {
        condition.lock()
        if let known = permutations[epoch] {
            condition.unlock()
            return known
        }
        condition.unlock()
        let order = DataRandom.permutation(count: source.count, seed: seed, epoch: epoch)
        condition.lock()
        permutations[epoch] = order
        permutations = permutations.filter { $0.key >= epoch - 1 }
        condition.unlock()
        return order
    }

    /// Batch `sequence`: its examples stacked, and the order after it.
    func build(_ sequence: Int) -> Result<TrainingBatch, any Error> {
        Result {
            let count = source.count
            let first = start + (sequence * ranks + rank) * batchSize
            var values: [Double] = []
            var captions: [String?] = []
            var extent: [Int] = []
            for position in first..<first + batchSize {
                let epoch = position / count
                let index = permutation(epoch)[position % count]
                let example = try (source as? any EpochExampleSource)?.example(at: index, epoch: epoch)
                    ?? source.example(at: index)
                let video = example.video
                let shape = [video.channels, video.frames, video.height, video.width]
                if extent.isEmpty {
                    extent = shape
                    values.reserveCapacity(batchSize * video.pixels.count)
                } else if shape != extent {
                    throw DatasetError.shapeMismatch(index: index, reason: "its extent \(shape) differs from \(extent)")
                }
                values.append(contentsOf: video.pixels.lazy.map(Double.init))
                captions.append(example.caption)
            }
            let next = start + (sequence + 1) * ranks * batchSize
            return TrainingBatch(videos: HostTensor(shape: [batchSize] + extent, scalars: values), captions: captions,
                                 order: DataOrderState(epoch: next / count, cursor: next % count, permutationSeed: seed))
        }
    }
}
