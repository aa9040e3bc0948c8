import Foundation
import Phenaki
import Testing

/// `EMASchedule` against ema-pytorch 0.8.3 (Tests/Fixtures/trainer/ema_schedule.json, from
/// Tools/reference/make_trainer_fixtures.py): replaying the recorded weights through the
/// schedule's decays and the training plan's blend `e · d + w · (1 − d)` gives ema-pytorch's
/// averages (to float32 rounding of the decay), including the copy phase, skipped updates and the warm-up clamp at beta.
@Suite struct TrainerEMAScheduleTests {
    @Test func matchesEMAPytorch() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/trainer/ema_schedule.json").standardizedFileURL.path
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count == 3)
        for c in cases {
            let schedule = EMASchedule(beta: try #require(c["beta"] as? Double),
                                       updateAfterStep: try #require(c["update_after_step"] as? Int),
                                       updateEvery: try #require(c["update_every"] as? Int))
            let weights = try #require(c["weights"] as? [Double]), expected = try #require(c["ema"] as? [Double])
            var ema = 0.0
            for (update, w) in weights.enumerated() {
                // ema-pytorch computes the decay in float32, as the plan's `train.ema_decay` holds it.
                let d = Double(Float(schedule.decay(afterUpdates: update)))
                ema = ema * d + w * (1 - d)
                #expect(abs(ema - expected[update]) <= 1e-6 * max(1, abs(expected[update])),
                        "\(schedule) update \(update): \(ema) vs \(expected[update])")
            }
        }
    }
}
