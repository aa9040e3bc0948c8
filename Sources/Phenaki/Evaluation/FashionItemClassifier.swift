import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import TensorGraph

/// How the item classifier trains: Adam on Fashion-MNIST's training set, every picture first
/// cropped to its item as generated frames are (`ItemLocator.itemCrop`), batches in a seeded
/// order, so the same settings give the same weights. Besides each picture at its own 28 × 28,
/// the set holds a copy shrunk to one of `itemSides` first, as the moving clips shrink items to
/// half their canvas; without it items 16 pixels wide score 78 % instead of 88 %.
public struct ClassifierTraining: Hashable, Sendable {
    /// Optimizer steps.
    public var steps: Int
    /// Pictures per step.
    public var batch: Int
    /// Adam's learning rate.
    public var learningRate: Double
    /// Seeds the initial weights and the data order.
    public var seed: UInt64
    /// Hidden features of `FashionClassifier`.
    public var hidden: Int
    /// Sides the shrunk copies take, picture `i`'s copy `itemSides[i % count]`; empty: no copies.
    public var itemSides: [Int]

    public init(steps: Int = 3000, batch: Int = 128, learningRate: Double = 1e-3, seed: UInt64 = 0, hidden: Int = 256,
                itemSides: [Int] = [12, 14, 16, 20, 24]) {
        self.steps = steps
        self.batch = batch
        self.learningRate = learningRate
        self.seed = seed
        self.hidden = hidden
        self.itemSides = itemSides
    }
}

/// The trained `FashionClassifier`: its weights, its accuracy on Fashion-MNIST's official test
/// set, and a compiled prediction plan. Safe to share between threads: runs of the plan take
/// turns.
public final class FashionItemClassifier: @unchecked Sendable {
    /// The format tag the cache file carries in its metadata.
    public static let formatTag = "phenaki-fashion-classifier-2"
    /// The held-out accuracy below which the scorer refuses the classifier.
    public static let requiredAccuracy = 0.85
    /// Pictures per prediction run.
    static let predictionBatch = 64

    /// Weights by `FashionClassifier` parameter name (`0.weight`, `0.bias`, `2.weight`, `2.bias`).
    public let weights: [String: HostTensor]
    /// Accuracy on Fashion-MNIST's 10 000 test pictures, cropped as generated frames are.
    public let heldOutAccuracy: Double
    /// The settings it trained with.
    public let training: ClassifierTraining
    private let executor: PlanExecutor
    /// Guards `executor`, whose buffers one run at a time may use.
    private let lock = NSLock()

    /// A classifier of `weights` (shapes checked against `FashionClassifier(hidden:)`).
    /// - Throws: `EvaluationError.damagedClassifier` when a weight is missing or misshapen.
    public init(weights: [String: HostTensor], heldOutAccuracy: Double, training: ClassifierTraining,
                threads: Int? = nil, source: String = "<memory>") throws {
        let graph = try FashionClassifier(hidden: training.hidden).predictionGraph(batch: Self.predictionBatch)
        for p in graph.parameters {
            guard let w = weights[p.name], w.type == p.node.type else {
                throw EvaluationError.damagedClassifier(
                    path: source, reason: "weight '\(p.name)' is missing or not \(p.node.type)")
            }
        }
        executor = try PlanExecutor(plan: compile(graph), threads: threads)
        for p in graph.parameters { try executor.setFeed(p.name, weights[p.name]!) }
        self.weights = weights
        self.heldOutAccuracy = heldOutAccuracy
        self.training = training
    }

    /// Class logits [10] of each 28 × 28 picture in `pictures` (each 784 values, row-major).
    public func logits(_ pictures: [[Float]]) throws -> [[Float]] {
        lock.lock()
        defer { lock.unlock() }
        let (b, size) = (Self.predictionBatch, FashionClassifier.side * FashionClassifier.side)
        var result: [[Float]] = []
        result.reserveCapacity(pictures.count)
        var start = 0
        while start < pictures.count {
            let end = min(start + b, pictures.count)
            try executor.withFloatBuffer("x") { x in
                for i in 0..<b {
                    let row = start + i < end ? pictures[start + i] : []
                    for p in 0..<size { x[i * size + p] = p < row.count ? row[p] : 0 }
                }
            }
            try executor.run()
            try executor.withFloatBuffer("logits") { out in
                for i in 0..<(end - start) {
                    result.append(Array(out[(i * FashionClassifier.classes)..<((i + 1) * FashionClassifier.classes)]))
                }
            }
            start = end
        }
        return result
    }

    /// The most likely class of each picture.
    public func predict(_ pictures: [[Float]]) throws -> [Int] {
        try logits(pictures).map(Self.argmax)
    }

    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in 1..<values.count where values[i] > values[best] { best = i }
        return best
    }

    // MARK: Training

    /// The item crops of a Fashion-MNIST split, in picture order.
    static func croppedPictures(_ data: FashionMNISTData, locator: ItemLocator = ItemLocator()) -> [[Float]] {
        var crops: [[Float]] = []
        crops.reserveCapacity(data.count)
        for i in 0..<data.count {
            let picture = data.picture(i).pixels
            crops.append(locator.itemCrop(picture, height: FashionMNISTData.side, width: FashionMNISTData.side) ?? picture)
        }
        return crops
    }

    /// The item crops of every picture after shrinking it to `sides[i % sides.count]` pixels the way
    /// `FashionMNISTClips` does, in picture order.
    static func shrunkPictures(_ data: FashionMNISTData, sides: [Int], locator: ItemLocator = ItemLocator()) -> [[Float]] {
        guard !sides.isEmpty else { return [] }
        return (0..<data.count).map { i in
            let side = sides[i % sides.count]
            let picture = data.picture(i)
            let small = FrameResampler.fit(picture, to: SpatialSize(side), flip: false).pixels
            // An item too faint to find once shrunk falls back to its full-size crop, as in `croppedPictures`.
            return locator.itemCrop(small, height: side, width: side)
                ?? locator.itemCrop(picture.pixels, height: FashionMNISTData.side, width: FashionMNISTData.side)
                ?? picture.pixels
        }
    }

    /// Trains a classifier on the Fashion-MNIST files in `directory` and measures it on their test
    /// set. `progress` gets (step, loss) every 100 steps.
    /// - Throws: `DatasetError` when the files are missing, `EvaluationError.invalidCount`.
    public static func train(_ training: ClassifierTraining = ClassifierTraining(),
                             fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory,
                             threads: Int? = nil, progress: ((Int, Double) -> Void)? = nil) throws -> FashionItemClassifier {
        guard training.steps >= 1 else { throw EvaluationError.invalidCount(option: "--steps", value: training.steps, minimum: 1) }
        guard training.batch >= 1 else { throw EvaluationError.invalidCount(option: "classifier batch", value: training.batch, minimum: 1) }
        let data = try FashionMNISTData.load(directory: fashionMNISTDirectory, split: .train)
        guard training.itemSides.allSatisfy({ $0 >= 4 }) else {
            throw EvaluationError.invalidCount(option: "classifier item side", value: training.itemSides.min() ?? 0, minimum: 4)
        }
        let crops = croppedPictures(data) + shrunkPictures(data, sides: training.itemSides)
        let allLabels = data.labels + (training.itemSides.isEmpty ? [] : data.labels)
        let model = FashionClassifier(hidden: training.hidden)
        let graph = try trainingGraph(model.lossGraph(batch: training.batch), loss: "loss", options: TrainingOptions())
        let session = try TrainingSession(plan: compile(graph), threads: threads, seed: training.seed)
        try session.setScalar(TrainingState.learningRate, training.learningRate)
        let size = FashionClassifier.side * FashionClassifier.side
        var order: [Int] = [], epoch = 0, cursor = 0
        for step in 0..<training.steps {
            var labels = [Double](repeating: 0, count: training.batch)
            try session.executor.withFloatBuffer("x") { x in
                for i in 0..<training.batch {
                    if cursor == order.count {
                        order = DataRandom.permutation(count: crops.count, seed: training.seed, epoch: epoch)
                        (epoch, cursor) = (epoch + 1, 0)
                    }
                    let index = order[cursor]
                    cursor += 1
                    labels[i] = Double(allLabels[index])
                    crops[index].withUnsafeBufferPointer { c in
                        for p in 0..<size { x[i * size + p] = c[p] }
                    }
                }
            }
            try session.step(["labels": HostTensor(shape: [training.batch], dtype: .int32, scalars: labels)])
            if (step + 1) % 100 == 0 || step + 1 == training.steps {
                progress?(step + 1, session.scalar("loss") ?? .nan)
            }
        }
        var weights: [String: HostTensor] = [:]
        for p in graph.parameters {
            weights[p.name] = session.executor.output(TrainingState.nextPrefix + p.name)
        }
        let trained = try FashionItemClassifier(weights: weights, heldOutAccuracy: 0, training: training, threads: threads)
        let accuracy = try trained.accuracy(fashionMNISTDirectory: fashionMNISTDirectory)
        return try FashionItemClassifier(weights: weights, heldOutAccuracy: accuracy, training: training, threads: threads)
    }

    /// The fraction of Fashion-MNIST's test pictures (cropped to their items) classified right.
    public func accuracy(fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory) throws -> Double {
        let test = try FashionMNISTData.load(directory: fashionMNISTDirectory, split: .heldOut)
        let predicted = try predict(Self.croppedPictures(test))
        var right = 0
        for i in 0..<test.count where predicted[i] == Int(test.labels[i]) { right += 1 }
        return Double(right) / Double(test.count)
    }

    // MARK: Cache

    /// `${XDG_CACHE_HOME:-~/.cache}/phenaki/fashion-classifier.safetensors`.
    public static var defaultCachePath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return base + "/phenaki/fashion-classifier.safetensors"
    }

    /// Writes the weights and training settings to `path` (its folder is created).
    public func save(path: String) throws {
        let metadata = [
            "format": Self.formatTag, "held_out_accuracy": String(heldOutAccuracy), "steps": String(training.steps),
            "batch": String(training.batch), "learning_rate": String(training.learningRate),
            "seed": String(training.seed), "hidden": String(training.hidden),
            "item_sides": training.itemSides.map(String.init).joined(separator: ","),
        ]
        let data = try SafeTensorsFile(tensors: weights, metadata: metadata).encoded()
        try FileManager.default.createDirectory(atPath: AtomicFile.parent(of: path), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: path)
    }

    /// Reads a classifier `save` wrote.
    /// - Throws: `EvaluationError.damagedClassifier` when the file is not one.
    public static func load(path: String, threads: Int? = nil) throws -> FashionItemClassifier {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile.read(path: path) } catch {
            throw EvaluationError.damagedClassifier(path: path, reason: "\(error)")
        }
        let m = file.metadata
        guard m["format"] == formatTag, let accuracy = m["held_out_accuracy"].flatMap(Double.init),
              let steps = m["steps"].flatMap(Int.init), let batch = m["batch"].flatMap(Int.init),
              let lr = m["learning_rate"].flatMap(Double.init), let seed = m["seed"].flatMap(UInt64.init),
              let hidden = m["hidden"].flatMap(Int.init), let sideList = m["item_sides"] else {
            throw EvaluationError.damagedClassifier(path: path, reason: "its metadata is not that of \(formatTag)")
        }
        let sides = sideList.split(separator: ",").compactMap { Int($0) }
        let training = ClassifierTraining(steps: steps, batch: batch, learningRate: lr, seed: seed, hidden: hidden,
                                          itemSides: sides)
        return try FashionItemClassifier(weights: file.tensors, heldOutAccuracy: accuracy, training: training,
                                         threads: threads, source: path)
    }

    /// The classifier cached at `path` when it was trained with `training`, else a newly trained
    /// one, saved there. `log` hears what happens.
    /// - Throws: what `train` and `save` throw, `EvaluationError.weakClassifier` when it trains
    ///   below `requiredAccuracy`.
    public static func cachedOrTrained(path: String = defaultCachePath, training: ClassifierTraining = ClassifierTraining(),
                                       retrain: Bool = false,
                                       fashionMNISTDirectory: String = DatasetOptions.defaultFashionMNISTDirectory,
                                       threads: Int? = nil, log: ((String) -> Void)? = nil) throws -> FashionItemClassifier {
        if !retrain, FileManager.default.fileExists(atPath: path),
           let cached = try? load(path: path, threads: threads), cached.training == training {
            return cached
        }
        log?("training the item classifier (\(training.steps) steps) into \(path)")
        let trained = try train(training, fashionMNISTDirectory: fashionMNISTDirectory, threads: threads) { step, loss in
            log?(String(format: "classifier step %d/%d loss %.4f", step, training.steps, loss))
        }
        log?(String(format: "classifier held-out accuracy %.2f %%", trained.heldOutAccuracy * 100))
        guard trained.heldOutAccuracy >= requiredAccuracy else {
            throw EvaluationError.weakClassifier(accuracy: trained.heldOutAccuracy, required: requiredAccuracy)
        }
        try trained.save(path: path)
        return trained
    }
}
