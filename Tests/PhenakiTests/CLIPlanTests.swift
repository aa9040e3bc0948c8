import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing

/// `phenaki graph plan`, `phenaki compile` and `phenaki run`, through the built executable.
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
final class CLIPlanTests {
    /// A fresh directory for this test's plan files.
    let directory = NSTemporaryDirectory() + "phenaki-cli-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func phenaki(_ arguments: String...) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// The plan `phenaki compile --model mlp --train` makes, compiled in this process.
    private func mlpTrainingPlan() throws -> Plan {
        try compile(trainingGraph(ModelZoo.graph(named: "mlp"), loss: "loss", options: TrainingOptions()))
    }

    @Test func compileThenRunTrains() throws {
        let path = directory + "/mlp.plan"
        let compiled = try phenaki("compile", "--model", "mlp", "--train", "-o", path)
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let expected = try mlpTrainingPlan()
        #expect(compiled.stdout.hasPrefix("wrote \(path): \(expected.steps.count) steps, "
            + "activation arena \(expected.activationBytes) bytes"))
        // The file holds exactly the plan the compiler makes in this process: compiling is
        // reproducible across processes (no hash-seeded iteration order in the compiler).
        let file = try PlanFile.read(from: path)
        #expect(file.plan.buffers == expected.buffers)
        #expect(file.plan.steps.map(\.kind) == expected.steps.map(\.kind))
        let identical = file.plan == expected
        #expect(identical, "the plan file differs from the plan compiled in the test process")
        #expect(file.metadata["model"] == "mlp" && file.metadata["train"] == "true")

        let ran = try phenaki("run", path, "--steps", "3")
        #expect(ran.status == 0, "\(ran.stderr)")
        let lines = ran.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("loaded \(path) in ") == true)
        let runs = lines.filter { $0.hasPrefix("run ") }
        #expect(runs.map { $0.split(separator: " ")[1] } == ["1", "2", "3"], "\(ran.stdout)")
        let losses = runs.compactMap { line -> Double? in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "loss").flatMap { Double(words[$0 + 1]) }
        }
        #expect(losses.count == 3 && losses.allSatisfy(\.isFinite), "\(ran.stdout)")
        // Ten classes, random initial weights: the first loss is near ln 10, and Adam on one
        // fixed batch brings it down.
        #expect(abs(losses[0] - log(10)) < 1, "\(losses)")
        #expect(losses[2] < losses[0], "\(losses)")
    }

    @Test("a damaged plan file is refused with a message, without a crash",
          arguments: ["flip", "truncate", "empty", "missing"])
    func runRefusesADamagedPlan(damage: String) throws {
        let path = directory + "/\(damage).plan"
        var bytes = try PlanFile(plan: mlpTrainingPlan()).encoded()
        switch damage {
        case "flip": bytes[bytes.count / 2] ^= 0x20
        case "truncate": bytes = bytes.prefix(bytes.count - 7)
        case "empty": bytes = Data()
        default: break
        }
        if damage != "missing" { try bytes.write(to: URL(fileURLWithPath: path)) }
        let result = try phenaki("run", path)
        #expect(!result.signaled, "killed by signal \(result.status): \(result.stderr)")
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let message: String
        switch damage {
        case "flip": message = "\(path) is corrupt: hash mismatch; compile it again"
        case "truncate": message = "\(path) is corrupt: payload is"
        case "empty": message = "\(path) is not a phenaki plan file"
        default: message = "cannot read \(path): no such file or not readable"
        }
        #expect(result.stderr.hasPrefix("error: \(message)"), "\(result.stderr)")
    }

    @Test func graphPlanPrintsTheSummaryAndTheMemoryMap() throws {
        let result = try phenaki("graph", "plan", "--model", "mlp", "--train")
        #expect(result.status == 0, "\(result.stderr)")
        let plan = try mlpTrainingPlan()
        let out = result.stdout
        #expect(out.contains("activation arena   \(formatBytes(plan.activationBytes))\n"))
        #expect(out.contains("lower bound        \(formatBytes(plan.lowerBoundBytes)) (max bytes live at once)\n"))
        let ratio = Double(plan.activationBytes) / Double(plan.lowerBoundBytes)
        #expect(out.contains(String(format: "arena / bound      %.3f\n", ratio)))
        #expect(ratio >= 1)
        #expect(out.contains("kernels per step   \(plan.steps.count) ("))
        #expect(out.contains("barriers per step  \(plan.barrierCount)\n"))
        #expect(out.contains("compile time "))
        // The memory map: a header, then one row per group of steps, 64 columns wide.
        #expect(out.contains("activation arena over time"))
        #expect(out.contains(memoryMap(plan)))
        let rows = out.split(separator: "\n").filter { $0.hasSuffix("|") && $0.contains(" |") }
        #expect(rows.count == min(32, plan.steps.count))
        #expect(rows.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[1].count == 64 })
    }

    @Test func graphPlanListsStepsAndFusionNotesOnRequest() throws {
        let result = try phenaki("graph", "plan", "--model", "mlp", "--train", "--steps", "--notes")
        #expect(result.status == 0, "\(result.stderr)")
        let plan = try mlpTrainingPlan()
        #expect(result.stdout.contains("steps (| = barrier after)\n" + planSteps(plan)))
        #expect(result.stdout.contains("fusion notes"))
    }

    @Test func noFusionGivesOneKernelPerOp() throws {
        let fused = try phenaki("graph", "plan", "--model", "mlp", "--train")
        let unfused = try phenaki("graph", "plan", "--model", "mlp", "--train", "--no-fusion")
        #expect(fused.status == 0 && unfused.status == 0, "\(fused.stderr)\(unfused.stderr)")
        func kernels(_ text: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix("kernels per step") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[3]) }
        }
        let a = try #require(kernels(fused.stdout)), b = try #require(kernels(unfused.stdout))
        #expect(b > a, "fused \(a), unfused \(b)")
    }

    @Test("bad arguments exit non-zero with a message", arguments: [
        (["compile", "--model", "gpt", "-o", "x.plan"], "unknown model 'gpt'; valid models are: mlp, transformer-block"),
        (["compile", "--model", "mlp", "-o", "/nonexistent/dir/x.plan"], "error: cannot write /nonexistent/dir/x.plan"),
        (["compile", "--model", "mlp", "--batch", "0", "-o", "x.plan"], "--batch must be at least 1, got 0"),
        (["compile", "--model", "mlp", "--train", "--grad-accum", "0", "-o", "x.plan"], "--grad-accum must be at least 1"),
        (["graph", "plan", "--model", "mlp", "--train", "--max-grad-norm=-1"], "--max-grad-norm must be positive"),
        (["run", "x.plan", "--steps", "0"], "--steps must be at least 1, got 0"),
        (["run"], "Missing expected argument '<plan>'"),
    ])
    func badArguments(arguments: [String], message: String) throws {
        let result = try runProcess(try #require(phenakiExecutable), arguments)
        #expect(!result.signaled, "killed by signal \(result.status)")
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "x.plan"))
    }
}
