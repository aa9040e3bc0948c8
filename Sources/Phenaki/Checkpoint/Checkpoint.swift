import Foundation
import GraphCompiler
import GraphRuntime
import TensorGraph

/// A training checkpoint: everything needed to resume a run or sample from it, kept as a
/// directory so that each part stays readable by other tools:
///
/// ```
/// format.json                  {"format": "phenaki-checkpoint", "version": 1}, written last
/// config.json                  the PhenakiConfig (`PhenakiConfig.jsonString`)
/// state.json                   step, seed, RNG counters, data order, trainer fields
/// cvivit.safetensors           weights by phenaki-pytorch state_dict name
/// maskgit.safetensors
/// critic.safetensors           when the model has a critic
/// discriminator.safetensors    the GAN discriminator of a C-ViViT GAN run (optional)
/// ema/<component>.safetensors  EMA weights, same names (when kept)
/// optimizer/<component>.safetensors  Adam moments `adam.m:<p>`, `adam.v:<p>` (when training)
/// ```
///
/// `CheckpointWriter` writes one atomically; `CheckpointStore` keeps numbered checkpoints in a
/// results folder.
public struct Checkpoint: Equatable, Sendable {
    /// The `format` field of `format.json`.
    public static let formatName = "phenaki-checkpoint"
    /// The layout version this build writes and reads.
    public static let formatVersion = 1

    public static let formatFile = "format.json"
    public static let configFile = "config.json"
    public static let stateFile = "state.json"
    public static let emaDirectory = "ema"
    public static let optimizerDirectory = "optimizer"

    /// The model's config.
    public var config: PhenakiConfig
    /// Step, seed, RNG and data-order state.
    public var state: CheckpointState
    /// Weights of each component, by `state_dict` name.
    public var weights: [CheckpointComponent: [String: HostTensor]]
    /// EMA weights of the components that keep them, named as `weights`.
    public var ema: [CheckpointComponent: [String: HostTensor]]
    /// Adam moments of the components being trained, named `TrainingState.firstMoment(p)` and
    /// `TrainingState.secondMoment(p)` for each trained weight `p`.
    public var optimizer: [CheckpointComponent: [String: HostTensor]]

    public init(config: PhenakiConfig, state: CheckpointState = CheckpointState(),
                weights: [CheckpointComponent: [String: HostTensor]],
                ema: [CheckpointComponent: [String: HostTensor]] = [:],
                optimizer: [CheckpointComponent: [String: HostTensor]] = [:]) {
        self.config = config
        self.state = state
        self.weights = weights
        self.ema = ema
        self.optimizer = optimizer
    }

    /// A checkpoint at step 0 with every component of `config` (`CheckpointComponent.components`)
    /// randomly initialised from its graph's initialisers with `seed`; no EMA or optimizer state
    /// (a trainer starts the EMA as a copy of the weights and the moments at zero).
    /// - Throws: `ConfigError` (the config is validated), graph errors.
    public static func initial(config: PhenakiConfig, seed: UInt64) throws -> Checkpoint {
        try config.validate()
        var weights: [CheckpointComponent: [String: HostTensor]] = [:]
        for component in CheckpointComponent.components(of: config) {
            weights[component] = try CheckpointGraphs.initialWeights(of: component, config: config, seed: seed)
        }
        return Checkpoint(config: config, state: CheckpointState(step: 0, seed: seed), weights: weights)
    }

    // MARK: Reading

    /// The format version of the checkpoint at `directory`.
    /// - Throws: `CheckpointError.missingDirectory`, `.resultsFolder` (a trainer's results folder),
    ///   `.notACheckpoint` without `format.json`, `.invalidFormatFile`.
    public static func formatVersion(of directory: String) throws(CheckpointError) -> Int {
        let path = directory + "/" + formatFile
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .missingDirectory(path: directory)
            }
            if FileManager.default.fileExists(atPath: directory + "/checkpoints") {
                throw .resultsFolder(path: directory, latest: CheckpointStore(directory: directory + "/checkpoints").latest())
            }
            throw .notACheckpoint(path: directory)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidFormatFile(path: path, reason: "it is not a JSON object")
        }
        guard object["format"] as? String == formatName else {
            throw .invalidFormatFile(path: path, reason: "its \"format\" is not \"\(formatName)\"")
        }
        guard let number = object["version"] as? NSNumber, let version = Int(exactly: number.doubleValue) else {
            throw .invalidFormatFile(path: path, reason: "it has no integer \"version\"")
        }
        return version
    }

    /// Reads the checkpoint at `directory` without checking it against any graph (see `load`).
    /// - Throws: `CheckpointError` (not a checkpoint, another format version, damaged files),
    ///   `ConfigError` (its config.json).
    public static func read(directory: String) throws -> Checkpoint {
        let version = try formatVersion(of: directory)
        guard version == formatVersion else {
            throw CheckpointError.unsupportedVersion(path: directory, found: version, supported: formatVersion)
        }
        let config = try PhenakiConfig.load(path: directory + "/" + configFile)
        let state = try readState(directory + "/" + stateFile)
        return Checkpoint(config: config, state: state, weights: try readTensors(directory),
                          ema: try readTensors(directory + "/" + emaDirectory),
                          optimizer: try readTensors(directory + "/" + optimizerDirectory))
    }

    /// Reads the checkpoint at `directory` and checks it against `config` and the graphs:
    /// the configs must be equal, every component in `components` (default: those of `config`)
    /// present, and every weight, EMA and optimizer tensor named and shaped as the graphs declare.
    ///
    /// - Throws: `CheckpointError.configMismatch` listing every differing key,
    ///   `.missingComponent`, `.optimizerMismatch`, `WeightError.mismatches` naming the file and
    ///   every tensor that does not fit, and what `read` throws.
    public static func load(directory: String, config: PhenakiConfig,
                            components: [CheckpointComponent]? = nil) throws -> Checkpoint {
        let checkpoint = try read(directory: directory)
        try checkpoint.validate(config: config, components: components, source: directory)
        return checkpoint
    }

    private static func readState(_ path: String) throws(CheckpointError) -> CheckpointState {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidState(path: path, reason: "the file is missing or unreadable")
        }
        do {
            return try JSONDecoder().decode(CheckpointState.self, from: data)
        } catch {
            throw .invalidState(path: path, reason: "\(error)")
        }
    }

    /// The `<component>.safetensors` files in `directory` (none when it does not exist).
    private static func readTensors(_ directory: String) throws(CheckpointError) -> [CheckpointComponent: [String: HostTensor]] {
        var result: [CheckpointComponent: [String: HostTensor]] = [:]
        for component in CheckpointComponent.allCases {
            let path = directory + "/" + component.fileName
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                result[component] = try SafeTensorsFile.read(path: path).tensors
            } catch {
                throw .damagedFile(path: path, error)
            }
        }
        return result
    }

    // MARK: Checking

    /// Checks the checkpoint as `load` does; `source` names it in errors.
    public func validate(config given: PhenakiConfig, components: [CheckpointComponent]? = nil,
                         source: String) throws {
        if config != given {
            throw CheckpointError.configMismatch(path: source, differences: ConfigDifference.between(config, given))
        }
        for component in components ?? CheckpointComponent.components(of: config) where weights[component] == nil {
            throw CheckpointError.missingComponent(path: source, component: component)
        }
        for component in CheckpointComponent.allCases {
            let files = [(weights[component], ""), (ema[component], Self.emaDirectory + "/")]
            guard files.contains(where: { $0.0 != nil }) || optimizer[component] != nil else { continue }
            let graph = try CheckpointGraphs.graph(of: component, config: config)
            for case let (tensors?, folder) in files {
                let view = CheckpointGraphs.graphView(of: component, config: config, graph: graph, tensors: tensors,
                                                      maskgit: weights[.maskgit] ?? [:])
                let match = matchWeights(view, for: graph, policy: .strict)
                if !match.mismatches.isEmpty {
                    throw WeightError.mismatches(source: source + "/" + folder + component.fileName, match.mismatches)
                }
            }
            if let moments = optimizer[component] {
                let problems = Self.optimizerProblems(moments, graph: graph)
                if !problems.isEmpty {
                    throw CheckpointError.optimizerMismatch(
                        path: source + "/" + Self.optimizerDirectory + "/" + component.fileName, problems: problems)
                }
            }
        }
    }

    /// Every Adam moment whose name is not `adam.m:<p>`/`adam.v:<p>` of a parameter `p` of
    /// `graph`, whose shape is not `p`'s, or that lacks its partner.
    static func optimizerProblems(_ moments: [String: HostTensor], graph: Graph) -> [String] {
        var shapes: [String: [Int]] = [:]
        for p in graph.parameters { shapes[p.name] = p.node.type.shape }
        let prefixes = [TrainingState.firstMoment(""), TrainingState.secondMoment("")]
        var problems: [String] = []
        for name in moments.keys.sorted() {
            let tensor = moments[name]!
            guard let prefix = prefixes.first(where: name.hasPrefix) else {
                problems.append("'\(name)' is not an Adam moment (\(prefixes[0])<parameter> or \(prefixes[1])<parameter>)")
                continue
            }
            let parameter = String(name.dropFirst(prefix.count))
            guard let shape = shapes[parameter] else {
                problems.append("'\(name)' is the moment of '\(parameter)', which the model does not have")
                continue
            }
            if tensor.shape != shape || tensor.dtype != .float32 {
                problems.append("'\(name)' is \(tensor.type) but '\(parameter)' is \(TensorType(shape, .float32))")
            }
            let partner = (prefix == prefixes[0] ? prefixes[1] : prefixes[0]) + parameter
            if moments[partner] == nil { problems.append("'\(name)' has no partner '\(partner)'") }
        }
        return problems
    }
}
