import Foundation

/// Peak signal-to-noise ratio with MAX = 1, for videos with values in [0, 1].
public enum PSNR {
    /// 10 · log10(1 / MSE) of `predicted` against `target` over all their values (equal counts);
    /// +infinity when they are equal.
    public static func of(_ predicted: UnsafeBufferPointer<Float>, _ target: UnsafeBufferPointer<Float>) -> Double {
        precondition(predicted.count == target.count && !target.isEmpty, "PSNR of buffers of different sizes")
        var sum = 0.0
        for i in 0..<target.count {
            let d = Double(predicted[i]) - Double(target[i])
            sum += d * d
        }
        let mse = sum / Double(target.count)
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }

    /// `of` on arrays.
    public static func of(_ predicted: [Float], _ target: [Float]) -> Double {
        predicted.withUnsafeBufferPointer { p in target.withUnsafeBufferPointer { t in of(p, t) } }
    }

    /// The "repeat the first frame" prediction of a video [c, f, H, W] (flattened): every frame
    /// of every channel replaced by that channel's first frame. The PSNR of this is the bar a
    /// reconstruction must clear to show it keeps the motion, not only the picture.
    public static func repeatFirstFrame(_ video: [Float], channels: Int, frames: Int, plane: Int) -> [Float] {
        var out = [Float](repeating: 0, count: video.count)
        video.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for c in 0..<channels {
                    let first = c * frames * plane
                    for f in 0..<frames {
                        let base = first + f * plane
                        for p in 0..<plane { o[base + p] = v[first + p] }
                    }
                }
            }
        }
        return out
    }
}

/// A histogram of codebook ids, and what it says about how much of the codebook is used.
public struct CodebookUsage: Sendable {
    /// Entries in the codebook.
    public let codebookSize: Int
    /// How often each id occurred.
    public private(set) var counts: [Int]
    /// Ids counted so far.
    public private(set) var total = 0

    public init(codebookSize: Int) {
        self.codebookSize = codebookSize
        counts = [Int](repeating: 0, count: codebookSize)
    }

    /// Counts `ids` (each in 0..<codebookSize; others are a programmer error).
    public mutating func add(_ ids: [Int32]) {
        counts.withUnsafeMutableBufferPointer { c in
            for id in ids {
                precondition(id >= 0 && Int(id) < codebookSize, "codebook id \(id) outside 0..<\(codebookSize)")
                c[Int(id)] += 1
            }
        }
        total += ids.count
    }

    /// Distinct ids seen.
    public var used: Int { counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }

    /// Percentage of the codebook seen at least once.
    public var usedPercent: Double { 100 * Double(used) / Double(codebookSize) }

    /// exp of the entropy (nats) of the id histogram: the number of equally used codes that
    /// would give the same entropy; 1 when one code is used, `codebookSize` when all are used
    /// equally; 0 before any id is counted.
    public var perplexity: Double {
        guard total > 0 else { return 0 }
        var entropy = 0.0
        let n = Double(total)
        for c in counts where c > 0 {
            let p = Double(c) / n
            entropy -= p * log(p)
        }
        return exp(entropy)
    }
}
