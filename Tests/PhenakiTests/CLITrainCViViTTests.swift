import Foundation
import GraphRuntime
import MediaIO
import Phenaki
import Testing

/// `phenaki train-cvivit` through the built executable (registered in Tools/phenaki/Phenaki.swift).
@Suite(.enabled(if: phenakiExecutable != nil, "the phenaki executable was not built beside the tests"))
struct CLITrainCViViTTests {
    private func phenaki(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try #require(phenakiExecutable), arguments)
    }

    /// A folder of four 16×16 RGB pictures.
    private func pictures() throws -> String {
        let folder = trainerTemporaryFolder("cli-data")
        for i in 0..<4 {
            let pixels = (0..<(3 * 16 * 16)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.21 * Double(j) + Double(i))) }
            try PNGEncoder.write(VideoFrames(channels: 3, frames: 1, height: 16, width: 16, pixels: pixels),
                                 to: folder + "/\(i).png")
        }
        return folder
    }

    /// Two updates on images write metrics.csv (a header and two rows), the loss curve, the
    /// reconstruction grids and a checkpoint whose weights equal the library trainer's on the same
    /// data and options (the flags reach the trainer); the path of the results goes to stdout.
    @Test func trainsAndMatchesTheLibrary() throws {
        let data = try pictures()
        let results = trainerTemporaryFolder("cli-results")
        defer { for p in [data, results] { try? FileManager.default.removeItem(atPath: p) } }
        let run = try phenaki(["train-cvivit", "--variant", "tiny", "--data", data, "--images", "--steps", "2",
                               "--batch", "2", "--lr", "1e-3", "--save-results-every", "1", "--results", results,
                               "--seed", "4", "--threads", "2", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == URL(fileURLWithPath: results).standardizedFileURL.path)
        let csv = try String(contentsOfFile: results + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0] == "step,loss,recon_loss,aux_loss,valid_loss,lr,grad_norm,seconds")
        for file in ["loss_curve.svg", "1.png", "2.ema.png", "checkpoints/step-000002/cvivit.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: results + "/" + file), "\(file) missing")
        }
        let saved = try Checkpoint.load(directory: results + "/checkpoints/step-000002", config: .tiny, components: [.cvivit])
        #expect(saved.state.step == 2)

        let library = trainerTemporaryFolder("cli-library")
        defer { try? FileManager.default.removeItem(atPath: library) }
        let options = CViViTTrainerOptions(steps: 2, batchSize: 2, trainOnImages: true, learningRate: 1e-3,
                                           saveResultsEvery: 1, seed: 4, threads: 2)
        let trainer = try CViViTTrainer(config: .tiny, options: options, results: library)
        let source = try openDataset(.folder(data), options: DatasetOptions(config: PhenakiConfig.tiny.cvivit, frames: nil, seed: 4),
                                     split: .train)
        try trainer.train(data: { try BatchLoader(source: source, batchSize: 2, seed: 4, order: $0 ?? DataOrderState()) },
                          progress: false)
        let state = trainer.stateTensors()
        let differing = (saved.weights[.cvivit] ?? [:]).filter { name, value in state[name].map { $0 != value } ?? false }
        #expect(differing.isEmpty, "weights differ: \(differing.keys.sorted().prefix(4))")
        #expect((saved.weights[.cvivit] ?? [:]).keys.contains { state[$0] != nil })
    }

    /// Bad values exit with status 1 and a message naming the flag; an unwritable results folder
    /// too.
    @Test func badValuesFail() throws {
        let data = try pictures()
        defer { try? FileManager.default.removeItem(atPath: data) }
        for (flags, message) in [(["--steps=-1"], "--steps -1: it must be 0 or more"),
                                 (["--batch", "0"], "--batch 0: it must be at least 1"),
                                 (["--results", data + "/0.png/results"], "cannot write the results folder")] {
            let run = try phenaki(["train-cvivit", "--data", data, "--images", "--quiet"] + flags)
            #expect(run.status == 1, "\(flags): \(run.status)")
            #expect(run.stderr.contains(message), "\(flags): \(run.stderr)")
        }
    }
}
