import Foundation

/// A small deterministic mutation fuzzer: a seeded SplitMix64 stream drives bit flips, byte
/// inserts and deletes, truncation, splicing with another seed and "interesting" integers
/// written over 1-, 2-, 4- or 8-byte fields (where length fields live).
///
/// Each target runs for `Fuzzer.seconds` (2 s unless `PHENAKI_FUZZ_SECONDS` says otherwise)
/// from the fixed seed `PHENAKI_FUZZ_SEED` (default 1), so a run is reproducible: the same
/// seed gives the same input sequence. Before every call the input is written to
/// `$TMPDIR/phenaki-fuzz-<target>.bin`, so an input that kills the process can be replayed.
/// One module (`FuzzSupport`) shared by the test targets that fuzz.
public struct Fuzzer {
    /// How long each fuzz target runs.
    public static let seconds: Double = {
        let env = ProcessInfo.processInfo.environment
        return env["PHENAKI_FUZZ_SECONDS"].flatMap(Double.init) ?? 2
    }()

    /// The seed every target starts from.
    public static let seed: UInt64 = {
        ProcessInfo.processInfo.environment["PHENAKI_FUZZ_SEED"].flatMap(UInt64.init) ?? 1
    }()

    /// Values that break length and count arithmetic: zero, one, sign edges, powers of two.
    public static let interesting: [UInt64] = [
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000,
        0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x7fff_ffff_ffff_ffff, .max,
    ]

    private var state: UInt64

    public init(seed: UInt64 = Fuzzer.seed) { state = seed &+ 0x9e37_79b9_7f4a_7c15 }

    /// The next 64 random bits (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// `seed` with 1 to 8 random mutations, its size kept at most `limit` bytes.
    public mutating func mutate(_ seed: [UInt8], splicing others: [[UInt8]], limit: Int) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(8) {
            switch below(7) {
            case 0 where !bytes.isEmpty: // flip one bit
                bytes[below(bytes.count)] ^= UInt8(1) << UInt8(below(8))
            case 1 where !bytes.isEmpty: // a random byte
                bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())
            case 2: // insert a run of random bytes
                let at = below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<1 + below(16)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
            case 3 where !bytes.isEmpty: // delete a run
                let at = below(bytes.count)
                bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
            case 4: // cut short
                bytes.removeLast(below(bytes.count + 1))
            case 5 where !others.isEmpty: // splice: our head, another seed's tail
                let other = others[below(others.count)]
                let head = below(bytes.count + 1), tail = below(other.count + 1)
                bytes = Array(bytes[..<head]) + Array(other[tail...])
            default: // an interesting integer over a field, either byte order
                let width = [1, 2, 4, 8][below(4)]
                guard bytes.count >= width else { continue }
                let at = below(bytes.count - width + 1)
                let value = Self.interesting[below(Self.interesting.count)]
                let bigEndian = below(2) == 0
                for k in 0..<width {
                    let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
                    bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
                }
            }
        }
        return bytes.count > limit ? Array(bytes[..<limit]) : bytes
    }

    /// Calls `body` on mutants of `seeds` until `seconds` have passed; returns how many inputs
    /// were tried. The seeds themselves go first, unmutated.
    public static func run(_ target: String, seeds: [[UInt8]], seconds: Double = Fuzzer.seconds, limit: Int = 1 << 16,
                    transform: ((inout Fuzzer, [UInt8]) -> [UInt8])? = nil,
                    _ body: ([UInt8]) -> Void) -> Int {
        var fuzzer = Fuzzer()
        let replay = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("phenaki-fuzz-\(target).bin")
        let deadline = Date().addingTimeInterval(seconds)
        var tried = 0
        while tried < seeds.count || Date() < deadline {
            var input = tried < seeds.count
                ? seeds[tried] : fuzzer.mutate(seeds[fuzzer.below(seeds.count)], splicing: seeds, limit: limit)
            if tried >= seeds.count, let transform { input = transform(&fuzzer, input) }
            try? Data(input).write(to: replay)
            body(input)
            tried += 1
        }
        try? FileManager.default.removeItem(at: replay)
        return tried
    }
}
