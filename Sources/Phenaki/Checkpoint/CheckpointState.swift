import Foundation

/// Where training stands, so that a resumed run continues as if it had never stopped: the
/// step, the seed and RNG counters, the data order, and whatever else the trainer keeps.
/// Stored as `state.json`.
public struct CheckpointState: Hashable, Sendable, Codable {
    /// Optimizer updates done so far.
    public var step: Int
    /// The run's seed (parameter initialisation and every RNG stream derive from it).
    public var seed: UInt64
    /// How many keys each named RNG stream has handed out (`RNGKey(seed:).foldIn(counter)`), so a
    /// resumed run draws the next keys rather than repeating the first.
    public var rngCounters: [String: UInt64]
    /// The position in the training data.
    public var data: DataOrderState
    /// The trainer's own fields, stored as given.
    public var trainer: [String: CheckpointValue]

    public init(step: Int = 0, seed: UInt64 = 0, rngCounters: [String: UInt64] = [:],
                data: DataOrderState = DataOrderState(), trainer: [String: CheckpointValue] = [:]) {
        self.step = step
        self.seed = seed
        self.rngCounters = rngCounters
        self.data = data
        self.trainer = trainer
    }

    enum CodingKeys: String, CodingKey {
        case step, seed, trainer, data
        case rngCounters = "rng_counters"
    }

    /// Pretty JSON with sorted keys, ending in a newline.
    /// - Throws: `CheckpointError.unwritableState` when a trainer field is not finite (JSON has
    ///   no NaN or infinity).
    public func jsonData() throws(CheckpointError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(UInt8(ascii: "\n"))
            return data
        } catch {
            throw .unwritableState(reason: "\(error)")
        }
    }
}

/// The order in which the trainer visits its data: epoch `epoch` visits the samples in the
/// permutation drawn from `permutationSeed` and `epoch`; `cursor` samples of it are done.
public struct DataOrderState: Hashable, Sendable, Codable {
    public var epoch: Int
    public var cursor: Int
    public var permutationSeed: UInt64

    public init(epoch: Int = 0, cursor: Int = 0, permutationSeed: UInt64 = 0) {
        self.epoch = epoch
        self.cursor = cursor
        self.permutationSeed = permutationSeed
    }

    enum CodingKeys: String, CodingKey {
        case epoch, cursor
        case permutationSeed = "permutation_seed"
    }
}
