/// Counter-based random numbers for data order and augmentation: every draw is a pure
/// function of (seed, stream, index), so any thread can make any draw and a resumed run makes
/// the same draws as an uninterrupted one.
enum DataRandom {
    /// Independent purposes get independent streams.
    enum Stream: UInt64 {
        case permutation = 1, flip, direction, crossPosition
    }

    /// The SplitMix64 finalizer.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    static let gamma: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// 64 random bits for `index` of `stream` under `seed`.
    static func bits(seed: UInt64, _ stream: Stream, _ index: UInt64) -> UInt64 {
        let streamSeed = mix(mix(seed &+ gamma) ^ (stream.rawValue &* 0xd1b5_4a32_d192_ed03))
        return mix(streamSeed &+ (index &+ 1) &* gamma)
    }

    /// A value in 0..<bound (bound ≥ 1) without modulo bias worth noticing (128-bit multiply).
    static func below(_ bound: Int, seed: UInt64, _ stream: Stream, _ index: UInt64) -> Int {
        Int(bits(seed: seed, stream, index).multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Epoch `epoch`'s visiting order of `count` examples: a Fisher-Yates shuffle whose swap
    /// `i` draws counter `i` of a stream keyed by (seed, epoch).
    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        let epochSeed = mix(seed ^ mix(UInt64(bitPattern: Int64(epoch)) &+ gamma))
        order.withUnsafeMutableBufferPointer { buffer in
            var i = count - 1
            while i > 0 {
                let j = below(i + 1, seed: epochSeed, .permutation, UInt64(i))
                buffer.swapAt(i, j)
                i -= 1
            }
        }
        return order
    }

    /// Whether example `index` is mirrored in epoch `epoch`.
    static func flips(seed: UInt64, index: Int, epoch: Int) -> Bool {
        bits(seed: seed ^ mix(UInt64(bitPattern: Int64(epoch))), .flip, UInt64(index)) >> 63 == 1
    }
}
