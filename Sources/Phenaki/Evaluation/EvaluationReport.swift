import Foundation

/// Everything `phenaki eval` measured, and its one-line JSON form.
///
/// JSON keys (a contract; absent parts are `null`):
/// `checkpoint`, `frames`, `videos`, `psnr`, `repeat_first_frame_psnr`, `codebook_size`,
/// `codes_used`, `codebook_used_percent`, `perplexity`, `tokens`, `classifier_accuracy`
/// (Fashion-MNIST test set), `caption_ceiling` (the scorer on held-out clips: `clips`,
/// `class_accuracy`, `direction_accuracy`, `accuracy`, `class_accuracy_by_class`: class name →
/// fraction), `captions` (a list of `critic`, `cond_scale` and the same keys as the ceiling), `notes`.
public struct EvaluationReport: Sendable {
    /// The checkpoint directory.
    public var checkpoint: String
    /// C-ViViT's reconstruction and codebook use.
    public var reconstruction: ReconstructionReport?
    /// The item classifier's accuracy on Fashion-MNIST's test set.
    public var classifierAccuracy: Double?
    /// The scorer on held-out dataset clips (what a perfect generator would get).
    public var captionCeiling: CaptionScore?
    /// Caption accuracy per critic mode and guidance scale.
    public var captions: [CaptionAccuracyResult]
    /// Why a part was skipped, and other remarks.
    public var notes: [String]

    public init(checkpoint: String, reconstruction: ReconstructionReport? = nil, classifierAccuracy: Double? = nil,
                captionCeiling: CaptionScore? = nil, captions: [CaptionAccuracyResult] = [], notes: [String] = []) {
        self.checkpoint = checkpoint
        self.reconstruction = reconstruction
        self.classifierAccuracy = classifierAccuracy
        self.captionCeiling = captionCeiling
        self.captions = captions
        self.notes = notes
    }

    /// The lowercased name of class `label`, as captions write it.
    private static func className(_ label: Int) -> String { ClipCaption.classNames[label].lowercased() }

    private static func score(_ s: CaptionScore) -> [String: Any] {
        ["clips": s.clips, "class_accuracy": s.classAccuracy, "direction_accuracy": s.directionAccuracy,
         "accuracy": s.accuracy,
         "class_accuracy_by_class": Dictionary(uniqueKeysWithValues: s.classAccuracyByClass.map {
             (className($0.key), $0.value)
         })]
    }

    /// The report as JSON values (non-finite numbers as null).
    public var jsonObject: [String: Any] {
        func number(_ value: Double?) -> Any { value.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
        let r = reconstruction
        var object: [String: Any] = [
            "checkpoint": checkpoint,
            "frames": r.map { $0.frames as Any } ?? NSNull(),
            "videos": r.map { $0.videos as Any } ?? NSNull(),
            "psnr": number(r?.psnr),
            "repeat_first_frame_psnr": number(r?.repeatFirstFramePSNR),
            "codebook_size": r.map { $0.codebookSize as Any } ?? NSNull(),
            "codes_used": r.map { $0.codesUsed as Any } ?? NSNull(),
            "codebook_used_percent": number(r?.codebookUsedPercent),
            "perplexity": number(r?.perplexity),
            "tokens": r.map { $0.tokens as Any } ?? NSNull(),
            "classifier_accuracy": number(classifierAccuracy),
            "caption_ceiling": captionCeiling.map { Self.score($0) as Any } ?? NSNull(),
            "notes": notes,
        ]
        object["captions"] = captions.map { result -> [String: Any] in
            var entry = Self.score(result.score)
            entry["critic"] = result.critic
            entry["cond_scale"] = result.condScale
            return entry
        }
        return object
    }

    /// `jsonObject` on one line, keys sorted.
    public var jsonLine: String {
        let data = try! JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Human-readable lines.
    public var textLines: [String] {
        var lines: [String] = []
        if let r = reconstruction {
            lines.append(String(format: "C-ViViT reconstruction PSNR %.2f dB (repeat-first-frame baseline %.2f dB) over %d held-out videos of %d frames",
                                r.psnr, r.repeatFirstFramePSNR, r.videos, r.frames))
            lines.append(String(format: "codebook usage %.2f %% (%d of %d codes), perplexity %.1f over %d tokens",
                                r.codebookUsedPercent, r.codesUsed, r.codebookSize, r.perplexity, r.tokens))
        }
        if let a = classifierAccuracy {
            lines.append(String(format: "item classifier accuracy %.2f %% on the Fashion-MNIST test set", a * 100))
        }
        if let c = captionCeiling {
            lines.append(String(format: "scorer on %d held-out clips: class %.1f %%, direction %.1f %%, both %.1f %%",
                                c.clips, c.classAccuracy * 100, c.directionAccuracy * 100, c.accuracy * 100))
        }
        for result in captions {
            let s = result.score
            lines.append("caption accuracy (critic \(result.critic), " + String(
                format: "cond_scale %g): %.1f %% (class %.1f %%, direction %.1f %%) over %d clips",
                result.condScale, s.accuracy * 100, s.classAccuracy * 100, s.directionAccuracy * 100, s.clips))
            let byClass = s.classAccuracyByClass.sorted { $0.key < $1.key }.map {
                String(format: "%@ %.0f %%", Self.className($0.key), $0.value * 100)
            }
            lines.append("  class accuracy by item: " + byClass.joined(separator: ", "))
        }
        lines += notes.map { "note: " + $0 }
        return lines
    }
}
