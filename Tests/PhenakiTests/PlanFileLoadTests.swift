import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing

/// The transformer-block training plan survives a file round trip, and loading it is much
/// cheaper than compiling it (the load time is printed, not asserted: tests do not time).
@Suite struct PlanFileLoadTests {
    @Test func transformerBlockTrainingPlanRoundTrips() throws {
        let forward = try ModelZoo.graph(named: "transformer-block", batch: 1)
        let compileStart = Date()
        let plan = try compile(trainingGraph(forward, loss: "loss", options: TrainingOptions(weightDecay: 0.01)))
        let compileSeconds = Date().timeIntervalSince(compileStart)
        let path = NSTemporaryDirectory() + "phenaki-block-\(UUID().uuidString).plan"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PlanFile(plan: plan, metadata: ["model": "transformer-block"]).write(to: path)
        let bytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0

        var loadSeconds: [Double] = []
        var loaded: PlanFile?
        for _ in 0..<3 {
            let t0 = Date()
            loaded = try PlanFile.read(from: path)
            loadSeconds.append(Date().timeIntervalSince(t0))
        }
        #expect(loaded?.plan == plan)
        print(String(format: "transformer-block training plan: %d steps, file %d bytes; compile %.3f s, "
            + "load (read + hash + decode + verify) best of 3 %.3f s", plan.steps.count, bytes, compileSeconds,
            loadSeconds.min()!))
    }
}
