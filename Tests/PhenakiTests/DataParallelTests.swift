import Foundation
import GraphCompiler
import GraphRuntime
import MediaIO
@testable import Phenaki
import TensorGraph
import Testing

/// Where mpirun is, and whether its absence fails the tests (`PHENAKI_REQUIRE_MPI=1`, set by CI)
/// rather than skipping them.
enum MPIAvailability {
    static let mpirun = executableOnPath("mpirun")
    static let required = ProcessInfo.processInfo.environment["PHENAKI_REQUIRE_MPI"] == "1"
    static var shouldRun: Bool { phenakiExecutable != nil && (mpirun != nil || required) }
    static let skipReason = Comment(rawValue: "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev) or the "
        + "phenaki executable was not built; PHENAKI_REQUIRE_MPI=1 turns a missing mpirun into a failure")

    /// `mpirun -np <ranks>` on this machine: as root too (CI), more ranks than cores allowed,
    /// no core binding (a rank runs its own threads), and shared memory without the
    /// cross-process single copy that containers often forbid.
    static func arguments(ranks: Int, _ command: [String]) throws -> (String, [String]) {
        let mpirun = try #require(Self.mpirun, "PHENAKI_REQUIRE_MPI=1 but mpirun is not on PATH: install openmpi-bin")
        let executable = try #require(phenakiExecutable)
        return (mpirun, ["-np", "\(ranks)", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                         "--mca", "btl_vader_single_copy_mechanism", "none", executable] + command)
    }
}

/// The split training step on one process equals the one-plan training step: same gradients,
/// clipping, AdamW, EMA, accumulation and non-finite skips (the reference is `TrainingSession`
/// on `trainingGraph`'s plan).
struct DataParallelSessionTests {
    /// A two-layer tanh regression with a bias.
    static func forward() throws -> Graph {
        try Tracer.trace { t in
            let x = t.input("x", [4, 3])
            let target = t.input("target", [4, 2])
            let w1 = t.parameter("w1", [3, 5], .uniform(low: -0.8, high: 0.8))
            let b1 = t.parameter("b1", [5], .uniform(low: -0.1, high: 0.1))
            let w2 = t.parameter("w2", [5, 2], .uniform(low: -0.8, high: 0.8))
            let h = (matmul(x, w1) + b1).tanh()
            let loss = (matmul(h, w2) - target).square().mean()
            return ["loss": loss, "h_mean": h.mean()]
        }
    }

    static func batch(_ i: Int, poison: Bool = false) -> [String: HostTensor] {
        let x = (0..<12).map { j in sin(0.7 * Double(j) + Double(i)) }
        var target = (0..<8).map { j in cos(0.3 * Double(j) - Double(i)) }
        if poison { target[3] = .nan }
        return ["x": HostTensor(shape: [4, 3], scalars: x), "target": HostTensor(shape: [4, 2], scalars: target)]
    }

    @Test("one process: the split step equals the one-plan step (clip, AdamW, EMA, accumulation, a NaN skip)")
    func splitEqualsOnePlan() throws {
        let forward = try Self.forward()
        let options = TrainingOptions(weightDecay: 0.1, maxGradNorm: 0.05, ema: true, gradientAccumulation: 2)
        let reference = try TrainingSession(plan: compile(trainingGraph(forward, loss: "loss", options: options)),
                                            threads: 1, seed: 3)
        let split = try DataParallelSession(
            gradientPlan: compile(DataParallelGraphs.gradientGraph(forward, loss: "loss", options: options)),
            updatePlan: compile(DataParallelGraphs.updateGraph(forward, loss: "loss", options: options)),
            group: .single, threads: 1, seed: 3)
        #expect(reference.statePairs.map(\.feed).sorted() == split.statePairs.map(\.feed).sorted())
        for session in [reference, split] as [any TrainingStepper] {
            try session.setScalar(TrainingState.learningRate, 0.05)
            try session.setScalar(TrainingState.emaDecay, 0.9)
        }
        for i in 0..<7 {
            let batch = Self.batch(i, poison: i == 4)
            try reference.step(batch)
            try split.step(batch)
            #expect(split.lastStepSkipped == reference.lastStepSkipped, "step \(i)")
            #expect(split.lastStepSkipped == (i == 4))
            if i == 4 {
                #expect(split.lastNonFinite != nil)
                try reference.resetAccumulation()
                try split.resetAccumulation()
                continue
            }
            for name in ["loss", "h_mean", TrainingState.gradNorm] {
                let (a, b) = (try #require(split.scalar(name)), try #require(reference.scalar(name)))
                #expect(trainerClose(a, b, 1e-5), "\(name) at step \(i): \(a) vs \(b)")
            }
            for pair in reference.statePairs {
                let a = try #require(reference.executor.output(pair.output)).scalars
                let b = try split.executor.withFloatBuffer(pair.feed) { $0.map(Double.init) }
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5, "\(pair.feed) at step \(i) differs by \(worst)")
            }
        }
        // The weights moved: the comparison is not between two untouched states.
        let w = try split.executor.withFloatBuffer("w1") { $0.map(Double.init) }
        let initial = try TrainingSession(plan: compile(trainingGraph(forward, loss: "loss", options: options)),
                                          threads: 1, seed: 3).executor.withFloatBuffer("w1") { $0.map(Double.init) }
        #expect(zip(w, initial).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test("a model with buffers is refused with a message")
    func buffersRefused() throws {
        let forward = try Tracer.trace { t in
            let x = t.input("x", [2])
            let w = t.parameter("w", [2], .ones)
            let running = t.parameter("running", [2], .zeros)
            t.bufferUpdate(of: running, to: running * 0.9 + x * 0.1)
            return ["loss": (x * w).sum()]
        }
        #expect(throws: GraphError.self) {
            _ = try DataParallelGraphs.gradientGraph(forward, loss: "loss", options: TrainingOptions())
        }
    }
}

/// Shards of `BatchLoader`: ranks 0..<N with batch B together read exactly the batches of one
/// loader with batch N·B, across epoch boundaries, and carry its data order.
struct DataParallelShardTests {
    struct Numbered: ExampleSource {
        let count: Int
        func example(at index: Int) throws -> TrainingExample {
            TrainingExample(video: try VideoFrames(channels: 1, frames: 1, height: 1, width: 1, pixels: [Float(index)]))
        }
    }

    @Test("N shards of batch B are one batch of N·B", arguments: [(2, 1), (2, 3), (3, 2)])
    func shardsFormTheGlobalBatch(ranks: Int, batch: Int) throws {
        let source = Numbered(count: 7)
        let start = DataOrderState(epoch: 1, cursor: 3, permutationSeed: 11)
        let whole = try BatchLoader(source: source, batchSize: ranks * batch, seed: 11, order: start, threads: 0)
        let shards = try (0..<ranks).map {
            try BatchLoader(source: source, batchSize: batch, seed: 11, order: start, threads: 1, rank: $0, ranks: ranks)
        }
        for _ in 0..<6 {
            let expected = try whole.next()
            let parts = try shards.map { try $0.next() }
            #expect(parts.flatMap(\.videos.scalars) == expected.videos.scalars)
            for part in parts { #expect(part.order == expected.order) }
        }
        #expect(throws: DatasetError.self) { _ = try BatchLoader(source: source, batchSize: 1, seed: 0, rank: 2, ranks: 2) }
    }
}

/// `mpirun -np 2 phenaki train-cvivit / train` on localhost.
@Suite(.serialized, .enabled(if: MPIAvailability.shouldRun, MPIAvailability.skipReason))
struct DataParallelMPITests {
    /// Tiny with an FSQ codebook: its loss is a mean over examples, so the average of two
    /// shards' gradients is the whole batch's (LFQ's codebook-entropy term is not).
    static var config: PhenakiConfig {
        var config = PhenakiConfig.tiny
        config.cvivit.lookupFreeQuantization = false
        config.cvivit.fsqLevels = [4, 4, 4, 4]
        config.maskgit.numTokens = 256
        return config
    }

    /// A folder with the config and five 3-frame clips (so a global batch of 2 crosses epochs).
    static func inputs(_ name: String, frames: Int = 3) throws -> String {
        let folder = trainerTemporaryFolder(name)
        try Data(config.jsonString().utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        try FileManager.default.createDirectory(atPath: folder + "/clips", withIntermediateDirectories: true)
        for i in 0..<5 {
            let pixels = (0..<(3 * frames * 256)).map { (j: Int) -> Float in Float(0.5 + 0.45 * sin(0.17 * Double(j) + 1.3 * Double(i))) }
            try GIFEncoder.write(VideoFrames(channels: 3, frames: frames, height: 16, width: 16, pixels: pixels),
                                 to: folder + "/clips/\(i).gif")
        }
        return folder
    }

    func cvivitArguments(_ folder: String, batch: Int, results: String, steps: Int = 4) -> [String] {
        ["train-cvivit", "--config", folder + "/config.json", "--data", folder + "/clips", "--frames", "3",
         "--steps", "\(steps)", "--batch", "\(batch)", "--lr", "1e-3", "--seed", "7", "--threads", "1",
         "--save-model-every", "\(steps)", "--save-results-every", "1000", "--quiet", "--results", results]
    }

    func tensors(_ path: String) throws -> [String: [Double]] {
        try SafeTensorsFile.read(path: path).tensors.mapValues(\.scalars)
    }

    func largestDifference(_ a: [String: [Double]], _ b: [String: [Double]]) -> Double {
        a.map { name, values in zip(values, b[name] ?? []).map { abs($0 - $1) }.max() ?? .infinity }.max() ?? .infinity
    }

    @Test("2 ranks × batch 1 end with the weights of 1 process × batch 2")
    func twoRanksEqualOneProcess() throws {
        let folder = try Self.inputs("mpi-equal")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let executable = try #require(phenakiExecutable)
        let one = try runProcess(executable, cvivitArguments(folder, batch: 2, results: folder + "/one"), timeout: 300)
        #expect(one.status == 0, "\(one.stderr)")
        let (mpirun, arguments) = try MPIAvailability.arguments(ranks: 2, cvivitArguments(folder, batch: 1, results: folder + "/two"))
        let two = try runProcess(mpirun, arguments, timeout: 300)
        #expect(two.status == 0, "\(two.stdout)\n\(two.stderr)")
        // Rank 0 alone prints the results folder.
        #expect(two.stdout.split(separator: "\n").filter { $0.hasSuffix("/two") }.count == 1, "\(two.stdout)")
        // The control: rank 0's shard alone trains other weights, far outside the tolerance.
        let alone = try runProcess(executable, cvivitArguments(folder, batch: 1, results: folder + "/alone"), timeout: 300)
        #expect(alone.status == 0, "\(alone.stderr)")

        let checkpoint = "/checkpoints/step-000004/"
        for file in ["cvivit.safetensors", "ema/cvivit.safetensors", "optimizer/cvivit.safetensors"] {
            let reference = try tensors(folder + "/one" + checkpoint + file)
            let parallel = try tensors(folder + "/two" + checkpoint + file)
            #expect(reference.keys.sorted() == parallel.keys.sorted())
            let difference = largestDifference(parallel, reference)
            // 1e-4 is a tenth of one Adam step at lr 1e-3.
            #expect(difference <= 1e-4, "\(file): 2 ranks differ from 1 process by \(difference)")
            if file == "cvivit.safetensors" {
                let control = largestDifference(try tensors(folder + "/alone" + checkpoint + file), reference)
                #expect(control > 1e-3, "training on rank 0's shard alone should differ, by \(control)")
            }
        }
        // The same losses and gradient norms per update, and the same data order saved.
        func rows(_ results: String) throws -> [[Double]] {
            try String(contentsOfFile: results + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().map { Double($0) ?? .nan } }
        }
        let (reference, parallel) = (try rows(folder + "/one"), try rows(folder + "/two"))
        #expect(reference.count == 4 && parallel.count == 4)
        for (a, b) in zip(parallel, reference) {
            for (x, y) in zip(a, b) { #expect(trainerClose(x, y, 1e-5), "metrics \(a) vs \(b)") }
        }
        let state = { (results: String) in try Checkpoint.read(directory: results + checkpoint).state }
        #expect(try state(folder + "/two").data == state(folder + "/one").data)
        #expect(try state(folder + "/two").data == DataOrderState(epoch: 1, cursor: 3, permutationSeed: 7))
        // Only rank 0 wrote: one metrics file, no stray files from rank 1.
        #expect(!FileManager.default.fileExists(atPath: folder + "/two/checkpoints/step-000004.tmp"))
    }

    @Test("resuming 2 ranks from a checkpoint ends where an uninterrupted 2-rank run ends")
    func resume() throws {
        let folder = try Self.inputs("mpi-resume")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var whole = cvivitArguments(folder, batch: 1, results: folder + "/whole", steps: 4)
        whole += ["--save-model-every", "2"]
        let (mpirun, first) = try MPIAvailability.arguments(ranks: 2, whole)
        let uninterrupted = try runProcess(mpirun, first, timeout: 300)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let half = cvivitArguments(folder, batch: 1, results: folder + "/half", steps: 2)
        let (_, start) = try MPIAvailability.arguments(ranks: 2, half)
        #expect(try runProcess(mpirun, start, timeout: 300).status == 0)
        let (_, resumed) = try MPIAvailability.arguments(
            ranks: 2, cvivitArguments(folder, batch: 1, results: folder + "/half", steps: 4) + ["--resume", folder + "/half"])
        let second = try runProcess(mpirun, resumed, timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        let path = "/checkpoints/step-000004/cvivit.safetensors"
        let difference = largestDifference(try tensors(folder + "/half" + path), try tensors(folder + "/whole" + path))
        #expect(difference == 0, "resumed 2-rank run differs by \(difference)")
    }

    @Test("SIGKILL of rank 1 mid-run ends the job within 60 s, non-zero, with the latest checkpoint loadable")
    func rankDeathEndsTheJob() throws {
        let folder = try Self.inputs("mpi-kill")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var command = cvivitArguments(folder, batch: 1, results: folder + "/run", steps: 100_000)
        command += ["--save-model-every", "3", "--keep-last", "2"]
        let (mpirun, arguments) = try MPIAvailability.arguments(ranks: 2, command)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let stderrBox = ErrorText()
        let reader = Thread { stderrBox.text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        reader.start()
        // Wait for a checkpoint, then for rank 1 (the child of mpirun whose environment says so).
        let latest = folder + "/run/checkpoints/latest"
        var deadline = Date().addingTimeInterval(180)
        while !FileManager.default.fileExists(atPath: latest), process.isRunning, Date() < deadline { usleep(20_000) }
        try #require(process.isRunning, "the job ended before a checkpoint: \(stderrBox.text)")
        let rank1 = try #require(Self.child(of: process.processIdentifier, rank: 1), "no rank 1 under mpirun")
        usleep(UInt32.random(in: 0...300_000))
        let killed = Date()
        kill(rank1, SIGKILL)
        deadline = killed.addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        let seconds = Date().timeIntervalSince(killed)
        #expect(!process.isRunning, "the job still runs 60 s after rank 1 died")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        while !reader.isFinished { usleep(10_000) }
        #expect(process.terminationStatus != 0)
        #expect(stderrBox.text.contains("rank 1") && stderrBox.text.contains("signal 9"),
                "mpirun should name the dead rank: \(stderrBox.text)")
        // The latest checkpoint is whole: it loads and holds a step the run reached.
        let pointer = try String(contentsOfFile: latest, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let directory = pointer.hasPrefix("/") ? pointer : folder + "/run/checkpoints/" + pointer
        let checkpoint = try Checkpoint.load(directory: directory, config: Self.config, components: [.cvivit])
        #expect(checkpoint.state.step > 0 && checkpoint.state.step % 3 == 0)
        print("data-parallel job ended \(String(format: "%.2f", seconds)) s after rank 1 was killed")
    }

    /// The child process of `parent` whose environment has `OMPI_COMM_WORLD_RANK=<rank>`.
    static func child(of parent: Int32, rank: Int) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent,
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    @Test("mpirun -np 2 phenaki train (unconditional MaskGit): rank 0 checkpoints the global data order")
    func maskgitTrains() throws {
        let folder = try Self.inputs("mpi-maskgit", frames: 7)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var config = Self.config
        config.maskgit.unconditional = true
        try Data(config.jsonString().utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        try CheckpointWriter().write(try Checkpoint.initial(config: config, seed: 5), to: folder + "/cvivit")
        let command = ["train", "--config", folder + "/config.json", "--cvivit", folder + "/cvivit", "--data",
                       folder + "/clips", "--steps", "3", "--batch", "1", "--seed", "3", "--threads", "1",
                       "--save-results-every", "0", "--quiet", "--results", folder + "/run"]
        let (mpirun, arguments) = try MPIAvailability.arguments(ranks: 2, command)
        let result = try runProcess(mpirun, arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stderr)")
        let checkpoint = try Checkpoint.load(directory: folder + "/run/checkpoints/step-000003", config: config)
        // 3 updates of a global batch of 2 over 5 clips: 6 examples read, epoch 1 at cursor 1.
        #expect(checkpoint.state.data == DataOrderState(epoch: 1, cursor: 1, permutationSeed: 3))
        let initial = try Checkpoint.initial(config: config, seed: 3).weights[.maskgit] ?? [:]
        let trained = try #require(checkpoint.weights[.maskgit])
        let moved = trained.map { name, value in
            zip(value.scalars, initial[name]?.scalars ?? []).map { abs($0 - $1) }.max() ?? 0
        }.max() ?? 0
        #expect(moved > 1e-4, "MaskGit did not train")
        let rows = try String(contentsOfFile: folder + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 4)
    }
}

private final class ErrorText: @unchecked Sendable {
    var text = ""
}
