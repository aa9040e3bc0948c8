import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// The checkpoint directory: round trips, the checks `Checkpoint.load` makes, and the initial
/// weights `phenaki init` writes.
@Suite struct CheckpointTests {
    /// Every tensor and every state field comes back equal, and each weights file holds exactly
    /// the bytes the safetensors writer lays out for its tensors.
    @Test func roundTripKeepsEveryTensorAndField() throws {
        let scratch = try CheckpointScratch()
        let original = try filledCheckpoint()
        let directory = scratch.path + "/ckpt"
        try CheckpointWriter().write(original, to: directory)
        #expect(scratch.list("ckpt") == ["config.json", "cvivit.safetensors", "ema", "format.json", "maskgit.safetensors",
                                         "optimizer", "state.json"])
        #expect(scratch.list("ckpt/ema") == ["cvivit.safetensors", "maskgit.safetensors"])
        let read = try Checkpoint.load(directory: directory, config: .tiny)
        #expect(read == original)
        #expect(read.state.seed == 0xFEDC_BA98_7654_3210)
        #expect(read.state.rngCounters["dropout"] == UInt64.max - 1)
        for component in [CheckpointComponent.cvivit, .maskgit] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + component.fileName))
            let expected = try SafeTensorsFile(tensors: original.weights[component]!, metadata: ["format": "pt"]).encoded()
            #expect(bytes == expected, "\(component.fileName)")
        }
        // No temporary directory is left beside it.
        #expect(scratch.list() == ["ckpt"])
    }

    /// Loading against a config that differs in two keys names both, with both values.
    @Test func anotherConfigListsTheDifferingKeys() throws {
        let scratch = try CheckpointScratch()
        try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 1), to: scratch.path + "/ckpt")
        let other = try PhenakiConfig.decode(json: configJSON(.tiny, ["cvivit.heads": 4, "phenaki.steps": 9]))
        do {
            _ = try Checkpoint.load(directory: scratch.path + "/ckpt", config: other)
            Issue.record("a checkpoint of another config loaded")
        } catch let error as CheckpointError {
            guard case .configMismatch(_, let differences) = error else { Issue.record("\(error)"); return }
            #expect(differences == [ConfigDifference(key: "cvivit.heads", checkpoint: "2", given: "4"),
                                    ConfigDifference(key: "phenaki.steps", checkpoint: "4", given: "9")])
            #expect(error.description.contains("cvivit.heads: checkpoint 2, given 4"), "\(error)")
        }
    }

    /// A weights file cut short, or with a damaged header length, is a typed error naming it.
    @Test func truncatedOrCorruptWeightsAreTypedErrors() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/ckpt"
        try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 1), to: directory)
        let path = directory + "/maskgit.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Checkpoint.read(directory: directory)
            Issue.record("a truncated file was read")
        } catch let error as CheckpointError {
            guard case .damagedFile(let at, _) = error else { Issue.record("\(error)"); return }
            #expect(at == path)
            #expect(error.description.contains("earlier checkpoint"))
        }

        var corrupt = bytes
        corrupt.replaceSubrange(0..<8, with: [UInt8](repeating: 0xff, count: 8))
        try corrupt.write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.damagedFile(
            path: path, .headerTooLarge(path: path, length: UInt64.max, limit: SafeTensorsFile.maxHeaderLength))) {
            try Checkpoint.read(directory: directory)
        }
    }

    /// A damaged state.json is a typed error naming it; a trainer field JSON cannot hold stops
    /// the write before anything appears at the target.
    @Test func stateFileErrors() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/ckpt"
        try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 1), to: directory)
        try Data("{\"step\": 3".utf8).write(to: URL(fileURLWithPath: directory + "/state.json"))
        do {
            _ = try Checkpoint.read(directory: directory)
            Issue.record("a damaged state.json was read")
        } catch let error as CheckpointError {
            guard case .invalidState(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == directory + "/state.json")
        }

        var checkpoint = try Checkpoint.initial(config: .tiny, seed: 1)
        checkpoint.state.trainer["loss"] = .number(.nan)
        #expect(throws: CheckpointError.self) { try CheckpointWriter().write(checkpoint, to: scratch.path + "/nan") }
        #expect(scratch.list() == ["ckpt"])
    }

    /// A weight of the wrong shape, an extra tensor and a missing one are each named.
    @Test func weightsThatDoNotFitTheGraphAreListed() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/ckpt"
        var checkpoint = try Checkpoint.initial(config: .tiny, seed: 1)
        let name = try #require(checkpoint.weights[.maskgit]!.keys.sorted().first)
        let removed = try #require(checkpoint.weights[.maskgit]!.keys.sorted().last)
        checkpoint.weights[.maskgit]![name] = HostTensor.zeros([3])
        checkpoint.weights[.maskgit]!["extra.weight"] = HostTensor.zeros([2])
        checkpoint.weights[.maskgit]![removed] = nil
        try CheckpointWriter().write(checkpoint, to: directory)
        do {
            _ = try Checkpoint.load(directory: directory, config: .tiny)
            Issue.record("mismatched weights loaded")
        } catch let error as WeightError {
            guard case .mismatches(let source, let list) = error else { Issue.record("\(error)"); return }
            #expect(source == directory + "/maskgit.safetensors")
            #expect(list.count == 3, "\(list)")
            #expect(list.contains(.unexpected(name: "extra.weight", shape: [2])))
            #expect(list.contains { if case .shape(name, [3], _) = $0 { true } else { false } })
            #expect(list.contains { if case .missing(removed, _) = $0 { true } else { false } })
        }
    }

    /// Adam moments must pair up and match their weights' shapes.
    @Test func optimizerStateIsCheckedAgainstTheWeights() throws {
        let scratch = try CheckpointScratch()
        var checkpoint = try filledCheckpoint()
        let name = try #require(checkpoint.weights[.cvivit]!.keys.sorted().first)
        checkpoint.optimizer[.cvivit]!["adam.v:" + name] = nil
        checkpoint.optimizer[.cvivit]!["adam.m:nope"] = HostTensor.zeros([1])
        checkpoint.optimizer[.cvivit]!["momentum:" + name] = HostTensor.zeros([1])
        try CheckpointWriter().write(checkpoint, to: scratch.path + "/ckpt")
        do {
            _ = try Checkpoint.load(directory: scratch.path + "/ckpt", config: .tiny)
            Issue.record("mismatched optimizer state loaded")
        } catch let error as CheckpointError {
            guard case .optimizerMismatch(let path, let problems) = error else { Issue.record("\(error)"); return }
            #expect(path.hasSuffix("/optimizer/cvivit.safetensors"))
            #expect(problems.count == 3, "\(problems)")
            #expect(problems.contains("'adam.m:\(name)' has no partner 'adam.v:\(name)'"))
        }
    }

    /// Another format version is refused with both numbers; no format.json is not a checkpoint.
    @Test func formatVersionMismatchNamesBothVersions() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/ckpt"
        try CheckpointWriter().write(try Checkpoint.initial(config: .tiny, seed: 1), to: directory)
        try Data("{\"format\": \"phenaki-checkpoint\", \"version\": 2}\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/format.json"))
        let error = CheckpointError.unsupportedVersion(path: directory, found: 2, supported: Checkpoint.formatVersion)
        #expect(throws: error) { try Checkpoint.read(directory: directory) }
        #expect(error.description.contains("format version 2 but this build reads version 1"), "\(error)")

        try FileManager.default.removeItem(atPath: directory + "/format.json")
        #expect(throws: CheckpointError.notACheckpoint(path: directory)) { try Checkpoint.read(directory: directory) }
    }

    /// A path that does not exist and a trainer's results folder get their own messages (both
    /// said "is not a complete checkpoint (it has no format.json)" before); the results folder's
    /// names its latest checkpoint.
    @Test func missingDirectoryAndResultsFolderAreNamed() throws {
        let scratch = try CheckpointScratch()
        let missing = scratch.path + "/nowhere"
        #expect(throws: CheckpointError.missingDirectory(path: missing)) { try Checkpoint.read(directory: missing) }
        let results = scratch.path + "/results"
        let store = CheckpointStore(directory: results + "/checkpoints")
        #expect(throws: CheckpointError.resultsFolder(path: results, latest: nil)) {
            try FileManager.default.createDirectory(atPath: results + "/checkpoints", withIntermediateDirectories: true)
            return try Checkpoint.read(directory: results)
        }
        let saved = try store.save(try Checkpoint.initial(config: .tiny, seed: 1))
        let error = CheckpointError.resultsFolder(path: results, latest: saved)
        #expect(throws: error) { try Checkpoint.read(directory: results) }
        #expect(error.description.contains("the latest: \(saved)"), "\(error)")
    }

    /// A checkpoint that lacks a component the config has is refused.
    @Test func missingComponentIsNamed() throws {
        let scratch = try CheckpointScratch()
        var checkpoint = try Checkpoint.initial(config: .tiny, seed: 1)
        checkpoint.weights[.maskgit] = nil
        try CheckpointWriter().write(checkpoint, to: scratch.path + "/ckpt")
        #expect(throws: CheckpointError.missingComponent(path: scratch.path + "/ckpt", component: .maskgit)) {
            try Checkpoint.load(directory: scratch.path + "/ckpt", config: .tiny)
        }
        // A C-ViViT-only caller asks for that component alone.
        _ = try Checkpoint.load(directory: scratch.path + "/ckpt", config: .tiny, components: [.cvivit])
    }

    /// The writer refuses a non-empty target unless told to replace it.
    @Test func writerRefusesANonEmptyDirectory() throws {
        let scratch = try CheckpointScratch()
        let directory = scratch.path + "/ckpt"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: directory + "/notes.txt"))
        let checkpoint = try Checkpoint.initial(config: .tiny, seed: 1)
        #expect(throws: CheckpointError.directoryNotEmpty(path: directory)) {
            try CheckpointWriter().write(checkpoint, to: directory)
        }
        #expect(scratch.list("ckpt") == ["notes.txt"])
        try CheckpointWriter().write(checkpoint, to: directory, replace: true)
        #expect(!scratch.list("ckpt").contains("notes.txt"))
        #expect(try Checkpoint.read(directory: directory) == checkpoint)
        #expect(scratch.list() == ["ckpt"])
    }

    /// The initial weights are the graphs' initialisers' values for the seed, name by name; the
    /// checkpoint loads with the strict policy into the `cvivit` and `maskgit` graphs, covers every
    /// parameter of `cvivit-encode`, and the compiled encode and MaskGit plans on those weights
    /// agree with the reference interpreter.
    @Test func initialWeightsLoadIntoTheGraphsAndRun() throws {
        let scratch = try CheckpointScratch()
        let config = PhenakiConfig.tiny
        try CheckpointWriter().write(try Checkpoint.initial(config: config, seed: 42), to: scratch.path + "/ckpt")
        let checkpoint = try Checkpoint.load(directory: scratch.path + "/ckpt", config: config)
        #expect(checkpoint.state == CheckpointState(step: 0, seed: 42))
        #expect(checkpoint.weights.keys.sorted { $0.rawValue < $1.rawValue } == [.cvivit, .maskgit])

        let full = try PhenakiModels.graph(named: "cvivit", config: config)
        #expect(checkpoint.weights[.cvivit] == initialParameters(of: full, seed: 42))
        _ = try loadWeights(path: scratch.path + "/ckpt/cvivit.safetensors", for: full, policy: .strict)

        let encode = try PhenakiModels.graph(named: "cvivit-encode", config: config)
        let encodeMatch = matchWeights(checkpoint.weights[.cvivit]!, for: encode, policy: .strict)
        // Only the decoder's weights, which encoding does not use, are extra.
        #expect(encodeMatch.mismatches.allSatisfy { if case .unexpected = $0 { true } else { false } })
        #expect(encodeMatch.parameters == initialParameters(of: encode, seed: 42))
        let video = HostTensor(shape: [1, 3, 3, 16, 16], scalars: (0..<(9 * 256)).map { sin(Double($0) * 0.173) })
        let feeds = encodeMatch.parameters.merging(["video": video]) { a, _ in a }
        let ids = try #require(try PlanExecutor(plan: compile(encode), threads: 2).run(feeds: feeds)["ids"])
        let expectedIds = try #require(try ReferenceInterpreter().run(encode, feeds: feeds)["ids"])
        let equal = zip(ids.scalars, expectedIds.scalars).filter { $0 == $1 }.count
        #expect(Double(equal) / Double(ids.count) >= 0.999)
        #expect(Set(ids.scalars).count > 1, "random weights should spread the ids: \(ids)")

        let maskgit = try PhenakiModels.graph(named: "maskgit", config: config)
        let weights = try loadWeights(path: scratch.path + "/ckpt/maskgit.safetensors", for: maskgit, policy: .strict)
        let n = config.sequenceLength(frames: config.maxFrames)
        var maskgitFeeds = weights
        maskgitFeeds["ids"] = HostTensor(shape: [1, n], dtype: .int32, scalars: (0..<n).map { Double($0 * 37 % 257) })
        maskgitFeeds["target"] = HostTensor(shape: [1, n], dtype: .int32, scalars: (0..<n).map { Double($0 * 11 % 256) })
        maskgitFeeds["text"] = HostTensor(shape: [1, 16, 32], scalars: (0..<512).map { cos(Double($0) * 0.05) })
        maskgitFeeds["text_mask"] = HostTensor(shape: [1, 16], dtype: .bool, scalars: (0..<16).map { $0 < 10 ? 1 : 0 })
        let out = try PlanExecutor(plan: compile(maskgit), threads: 2).run(feeds: maskgitFeeds)
        let reference = try ReferenceInterpreter().run(maskgit, feeds: maskgitFeeds)
        let error = relativeError(try #require(out["logits"]), try #require(reference["logits"]))
        #expect(error <= 1e-4, "logits: relative error \(error)")
        // Freshly initialised logits are near uniform: the loss is close to ln(256).
        let loss = try #require(out["loss"]).scalars[0]
        #expect(abs(loss - log(256.0)) < 1, "loss \(loss)")
    }

    /// With a critic section the critic's TokenCritic weights are written and checked; with
    /// `self_token_critic` only the self critic's head, checked together with MaskGit's weights.
    @Test func criticWeights() throws {
        let scratch = try CheckpointScratch()
        var withCritic = PhenakiConfig.tiny
        withCritic.critic = CriticConfig(dim: 32, numTokens: 256, maxSeqLen: 16, depth: 1, hasCrossAttn: true,
                                         dimContext: 32, dimHead: 8, heads: 2)
        let token = try Checkpoint.initial(config: withCritic, seed: 5)
        #expect(token.weights[.critic] == initialParameters(of: try PhenakiModels.graph(named: "critic", config: withCritic), seed: 5))
        try CheckpointWriter().write(token, to: scratch.path + "/token")
        #expect(try Checkpoint.load(directory: scratch.path + "/token", config: withCritic) == token)

        var selfCritic = PhenakiConfig.tiny
        selfCritic.phenaki.selfTokenCritic = true
        let head = try Checkpoint.initial(config: selfCritic, seed: 5)
        #expect(head.weights[.critic]?.mapValues(\.shape) == ["to_pred.0.weight": [1, 32], "to_pred.0.bias": [1]])
        try CheckpointWriter().write(head, to: scratch.path + "/self")
        #expect(try Checkpoint.load(directory: scratch.path + "/self", config: selfCritic) == head)
        // The head must fit MaskGit's width.
        var wrong = head
        wrong.weights[.critic]!["to_pred.0.weight"] = HostTensor.zeros([1, 16])
        try CheckpointWriter().write(wrong, to: scratch.path + "/wrong")
        #expect(throws: WeightError.self) { try Checkpoint.load(directory: scratch.path + "/wrong", config: selfCritic) }
    }
}
