import Phenaki
import Testing

/// `LearningRateSchedule`: the rate of each update against known values, and what it refuses.
@Suite struct LearningRateScheduleTests {
    /// 10 updates with a 4-update cooldown: base for updates 0–5, then 4/4 … 1/4 of it.
    @Test func coolsDownLinearlyOverTheLastUpdates() {
        let schedule = LearningRateSchedule(base: 2e-3, steps: 10, decaySteps: 4)
        let rates = (0..<10).map { schedule.rate(afterUpdates: $0) }
        #expect(rates == [2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 1.5e-3, 1e-3, 0.5e-3])
        #expect(schedule.rate(afterUpdates: 10) == 0)
    }

    /// Without a cooldown the rate is phenaki-pytorch's constant one.
    @Test func noCooldownIsConstant() {
        let schedule = LearningRateSchedule(base: 1e-4, steps: 3)
        #expect((0..<5).map { schedule.rate(afterUpdates: $0) } == [1e-4, 1e-4, 1e-4, 1e-4, 1e-4])
    }

    @Test func refusesWhatCannotRun() {
        #expect(throws: TrainerError.invalidOption(name: "lr-decay-steps", value: "11",
                                                   expected: "between 0 and --steps (10)")) {
            try LearningRateSchedule(base: 1e-3, steps: 10, decaySteps: 11).validate()
        }
        #expect(throws: TrainerError.invalidOption(name: "lr-decay-steps", value: "-1",
                                                   expected: "between 0 and --steps (10)")) {
            try LearningRateSchedule(base: 1e-3, steps: 10, decaySteps: -1).validate()
        }
        #expect(throws: TrainerError.invalidOption(name: "lr", value: "0.0", expected: "a positive finite number")) {
            try LearningRateSchedule(base: 0, steps: 10).validate()
        }
        #expect(throws: Never.self) { try LearningRateSchedule(base: 1e-3, steps: 10, decaySteps: 10).validate() }
    }
}
