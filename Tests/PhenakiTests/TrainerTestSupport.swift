import Foundation
import GraphRuntime
import Phenaki

/// An in-memory `BatchStream` for trainer tests: `count` fixed smooth clips visited in order,
/// batch after batch, epochs wrapping; the order it reports lets a resumed stream continue.
final class ClipStream: BatchStream {
    let clips: [[Double]]
    let clipShape: [Int]
    let batch: Int
    private(set) var order: DataOrderState

    init(count: Int, clipShape: [Int], batch: Int, order: DataOrderState? = nil, salt: Double = 0) {
        let size = clipShape.reduce(1, *)
        var clips: [[Double]] = []
        for clip in 0..<count {
            let phase = 1.3 * Double(clip) + salt
            clips.append((0..<size).map { (i: Int) -> Double in 0.5 + 0.4 * sin(0.37 * Double(i) + phase) })
        }
        self.clips = clips
        self.clipShape = clipShape
        self.batch = batch
        self.order = order ?? DataOrderState()
    }

    func next() throws -> TrainingBatch {
        var scalars: [Double] = []
        var captions: [String?] = []
        for _ in 0..<batch {
            scalars += clips[order.cursor]
            captions.append("clip number \(order.cursor)")
            order.cursor += 1
            if order.cursor == clips.count { (order.epoch, order.cursor) = (order.epoch + 1, 0) }
        }
        return TrainingBatch(videos: HostTensor(shape: [batch] + clipShape, scalars: scalars),
                             captions: captions, order: order)
    }
}

/// A fresh empty folder under the temporary directory.
func trainerTemporaryFolder(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "phenaki-trainer-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// |a − b| ≤ tolerance · max(|b|, floor), NaN equal to NaN.
func trainerClose(_ a: Double, _ b: Double, _ tolerance: Double, floor: Double = 1e-6) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= tolerance * max(abs(b), floor)
}

/// A deterministic stand-in text encoder: token i of a caption embeds as smooth values of its
/// characters, so different captions give different, reproducible embeddings.
final class CaptionHashEncoder: TextEncoder {
    let dim: Int
    init(dim: Int) { self.dim = dim }

    func encode(_ texts: [String]) throws -> TextEmbeddings {
        let tokens = 3
        var scalars: [Double] = []
        for text in texts {
            let codes = Array(text.utf8)
            for t in 0..<tokens {
                let seed = Double(codes.isEmpty ? 0 : Int(codes[(t * 7) % codes.count]) + codes.count)
                for j in 0..<dim { scalars.append(0.3 * sin(0.7 * Double(j) + 0.11 * seed + Double(t))) }
            }
        }
        return TextEmbeddings(embeddings: HostTensor(shape: [texts.count, tokens, dim], scalars: scalars))
    }
}
