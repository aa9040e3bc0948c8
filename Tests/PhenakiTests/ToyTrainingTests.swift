import GraphRuntime
import Phenaki
import Testing

@Suite struct ToyTrainingTests {
    @Test func mlpLearnsItsToyTask() throws {
        var trainer = try InterpreterTrainer(task: .mlpClassification(), optimizer: AdamConfiguration(learningRate: 3e-2))
        let losses = try trainer.train(steps: 150)
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < 0.1 * losses.first!, "loss went \(losses.first!) → \(losses.last!)")
    }

    @Test func transformerBlockLearnsItsToyTask() throws {
        var trainer = try InterpreterTrainer(
            task: .transformerRegression(), optimizer: AdamConfiguration(learningRate: 1e-2))
        let losses = try trainer.train(steps: 150)
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < 0.1 * losses.first!, "loss went \(losses.first!) → \(losses.last!)")
    }
}
