import Foundation
import TensorGraph

/// A counter-based random number key: two int32 values, the only state random ops have.
///
/// The algorithm, chosen so a C kernel can reproduce it bit for bit:
///
/// - `mix(z)` is the SplitMix64 finalizer:
///   `z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31`
///   (all arithmetic modulo 2^64).
/// - The key packs into `k = UInt32(key0) << 32 | UInt32(key1)`; its stream seed is
///   `s = mix(k + γ)` with `γ = 0x9e3779b97f4a7c15`.
/// - `bits(i) = mix(s + (i + 1) · γ)`: the (i+1)-th output of SplitMix64 started at `s`, so
///   element `i` of any random tensor is computed independently of the others.
/// - `uniform(i) = (bits(i) >> 40) / 2^24`: 24 bits, exactly representable in `Float`, in [0, 1).
/// - `normal(i)` is Box–Muller on `u1 = uniform(2i)` and `u2 = uniform(2i + 1)`:
///   `sqrt(-2 · log(1 - u1)) · cos(2π · u2)` (`1 - u1` lies in (0, 1], so the log is finite).
/// - `foldIn(data)` is `mix(s ^ mix(UInt64(bitPattern: Int64(data)) + 2γ))`, split into its
///   high and low 32 bits (as two's-complement int32) to form the new key.
///
/// A uniform and a normal tensor drawn from one key share bits; fold in distinct data to get
/// independent streams.
public struct RNGKey: Hashable, Sendable, CustomStringConvertible {
    /// The first int32 of the key.
    public var key0: Int32
    /// The second int32 of the key.
    public var key1: Int32

    static let gamma: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// A key from its two int32 halves.
    public init(_ key0: Int32, _ key1: Int32) {
        self.key0 = key0
        self.key1 = key1
    }

    /// A key derived from a 64-bit seed (`mix(seed)` split into two halves).
    public init(seed: UInt64) {
        self.init(bits: RNGKey.mix(seed))
    }

    /// The key an int32[2] tensor holds, or `nil` for any other tensor.
    public init?(_ tensor: HostTensor) {
        guard tensor.type == TensorType([2], .int32),
              let key0 = Int32(exactly: tensor.scalars[0]), let key1 = Int32(exactly: tensor.scalars[1])
        else { return nil }
        self.init(key0, key1)
    }

    init(bits: UInt64) {
        self.init(Int32(bitPattern: UInt32(truncatingIfNeeded: bits >> 32)),
                  Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
    }

    /// The key as the int32[2] value an `rngKey` input is fed.
    public var tensor: HostTensor {
        HostTensor(shape: [2], dtype: .int32, scalars: [Double(key0), Double(key1)])
    }

    /// The SplitMix64 finalizer.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The stream seed `s` of this key.
    var streamSeed: UInt64 {
        let packed = UInt64(UInt32(bitPattern: key0)) << 32 | UInt64(UInt32(bitPattern: key1))
        return RNGKey.mix(packed &+ RNGKey.gamma)
    }

    /// 64 random bits for counter `index`.
    public func bits(_ index: UInt64) -> UInt64 {
        RNGKey.mix(streamSeed &+ (index &+ 1) &* RNGKey.gamma)
    }

    /// Uniform value in [0, 1) for counter `index` (24 bits).
    public func uniform(at index: UInt64) -> Double {
        Double(bits(index) >> 40) / 16_777_216
    }

    /// `count` uniform values in [0, 1): element `i` uses counter `i`.
    public func uniform(count: Int) -> [Double] {
        (0..<count).map { uniform(at: UInt64($0)) }
    }

    /// `count` standard normal values: element `i` uses counters `2i` and `2i + 1`.
    public func normal(count: Int) -> [Double] {
        (0..<count).map { i in
            let u1 = uniform(at: 2 * UInt64(i))
            let u2 = uniform(at: 2 * UInt64(i) + 1)
            return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        }
    }

    /// A new key derived from this one and `data`; distinct data give independent keys.
    public func foldIn(_ data: Int) -> RNGKey {
        let d = RNGKey.mix(UInt64(bitPattern: Int64(data)) &+ 2 &* RNGKey.gamma)
        return RNGKey(bits: RNGKey.mix(streamSeed ^ d))
    }

    /// `(key0, key1)`.
    public var description: String { "(\(key0), \(key1))" }
}
