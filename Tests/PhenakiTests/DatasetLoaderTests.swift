import Foundation
import GraphRuntime
import Testing
@testable import Phenaki

/// BatchLoader: epochs are permutations, the order is a function of the seed, a resumed loader
/// continues exactly, background threads give the synchronous batches, and errors surface.
@Suite("Data: batch loader")
struct DatasetLoaderTests {
    /// Every epoch visits each example exactly once, batches run across epoch boundaries, and
    /// the order state after each batch counts the examples consumed.
    @Test func epochsArePermutationsAndOrderCounts() throws {
        let loader = try BatchLoader(source: NumberedSource(count: 10), batchSize: 3, seed: 5, threads: 0)
        var stream: [Int] = []
        for b in 0..<10 {
            let batch = try loader.next()
            #expect(batch.videos.shape == [3, 1, 1, 1, 2])
            let ids = DatasetTestSupport.indices(batch)
            // The pixels hold the examples the captions name.
            #expect(ids.enumerated().allSatisfy { abs(batch.videos.scalars[$0.offset * 2] - Double(Float($0.element) / 1000)) < 1e-12 })
            stream += ids
            let consumed = 3 * (b + 1)
            #expect(batch.order == DataOrderState(epoch: consumed / 10, cursor: consumed % 10, permutationSeed: 5))
        }
        let epochs = (0..<3).map { Array(stream[$0 * 10..<$0 * 10 + 10]) }
        for epoch in epochs { #expect(epoch.sorted() == Array(0..<10)) }
        #expect(epochs[0] != epochs[1] && epochs[1] != epochs[2])
        #expect(epochs[0] != Array(0..<10))
    }

    /// Same seed, same batches; another seed, another order.
    @Test func orderIsAFunctionOfTheSeed() throws {
        func run(_ seed: UInt64) throws -> [Int] {
            let loader = try BatchLoader(source: NumberedSource(count: 50), batchSize: 4, seed: seed, threads: 0)
            return try (0..<30).flatMap { _ in DatasetTestSupport.indices(try loader.next()) }
        }
        #expect(try run(11) == run(11))
        #expect(try run(11) != run(12))
    }

    /// A loader started from the order state of batch k yields batches k+1, k+2, ... of an
    /// uninterrupted loader, captions and pixels alike, across an epoch boundary.
    @Test func resumeContinuesExactly() throws {
        let source = NumberedSource(count: 13)
        let whole = try BatchLoader(source: source, batchSize: 5, seed: 3, threads: 2)
        let batches = try (0..<9).map { _ in try whole.next() }
        for k in [0, 1, 3, 6] {
            let resumed = try BatchLoader(source: source, batchSize: 5, seed: 3, order: batches[k].order, threads: 1)
            for expected in batches[(k + 1)...] {
                let batch = try resumed.next()
                #expect(batch.captions == expected.captions)
                #expect(batch.videos == expected.videos)
                #expect(batch.order == expected.order)
            }
        }
    }

    /// Background threads with a small queue give exactly the synchronous batches.
    @Test func backgroundLoadingMatchesSynchronous() throws {
        let source = NumberedSource(count: 37)
        let sync = try BatchLoader(source: source, batchSize: 6, seed: 9, threads: 0)
        for (threads, prefetch) in [(1, 1), (3, 2), (4, 8)] {
            let background = try BatchLoader(source: source, batchSize: 6, seed: 9, prefetch: prefetch, threads: threads)
            let again = try BatchLoader(source: source, batchSize: 6, seed: 9, threads: 0)
            for _ in 0..<15 {
                let a = try background.next()
                let b = try again.next()
                #expect(a.captions == b.captions && a.videos == b.videos && a.order == b.order)
            }
        }
        _ = try sync.next()
    }

    /// A source error comes out of the `next()` whose batch holds the example, and again after.
    @Test func sourceErrorsSurfaceFromNext() throws {
        let probe = try BatchLoader(source: NumberedSource(count: 8), batchSize: 2, seed: 1, threads: 0)
        let firstBatches = try (0..<4).map { _ in DatasetTestSupport.indices(try probe.next()) }
        let failing = firstBatches[2][1]
        for threads in [0, 2] {
            let loader = try BatchLoader(source: NumberedSource(count: 8, failing: failing), batchSize: 2, seed: 1, threads: threads)
            #expect(try DatasetTestSupport.indices(loader.next()) == firstBatches[0])
            #expect(try DatasetTestSupport.indices(loader.next()) == firstBatches[1])
            #expect(throws: NumberedSource.Failure(index: failing)) { try loader.next() }
            #expect(throws: NumberedSource.Failure(index: failing)) { try loader.next() }
        }
    }

    /// Bad arguments and a saved order from another seed or a larger dataset are typed errors.
    @Test func refusesBadArgumentsAndForeignOrders() throws {
        let source = NumberedSource(count: 8)
        #expect(throws: DatasetError.self) { try BatchLoader(source: source, batchSize: 0, seed: 1) }
        #expect(throws: DatasetError.self) { try BatchLoader(source: source, batchSize: 2, seed: 1, prefetch: 0) }
        #expect(throws: DatasetError.self) { try BatchLoader(source: NumberedSource(count: 0), batchSize: 2, seed: 1) }
        #expect(throws: DatasetError.self) {
            try BatchLoader(source: source, batchSize: 2, seed: 1, order: DataOrderState(epoch: 1, cursor: 2, permutationSeed: 2))
        }
        #expect(throws: DatasetError.self) {
            try BatchLoader(source: source, batchSize: 2, seed: 1, order: DataOrderState(epoch: 0, cursor: 9, permutationSeed: 1))
        }
        let message = DatasetError.orderMismatch(reason: "x").description
        #expect(message.contains("cannot resume"))
    }
}
