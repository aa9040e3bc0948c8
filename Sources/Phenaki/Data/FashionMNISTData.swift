import Foundation
import MediaIO

/// The Fashion-MNIST items of one split: 28 × 28 grey pictures (0 white background ... 255)
/// and their class labels, read from the official IDX files (plain or `.gz`).
struct FashionMNISTData: Sendable {
    /// Picture side in pixels.
    static let side = 28
    /// The official class names, in label order.
    static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// `count * 28 * 28` bytes, item-major, rows top to bottom.
    let pixels: [UInt8]
    /// One label in 0..<10 per item.
    let labels: [UInt8]

    var count: Int { labels.count }

    /// The file stems of a split: the training set, or the official test set held out.
    static func stems(_ split: DatasetSplit) -> (images: String, labels: String) {
        switch split {
        case .train: return ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        case .heldOut: return ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
        }
    }

    /// Reads `split` from `directory`.
    static func load(directory: String, split: DatasetSplit) throws(DatasetError) -> FashionMNISTData {
        let stems = stems(split)
        let images = try readIDX(directory: directory, stem: stems.images)
        let labels = try readIDX(directory: directory, stem: stems.labels)
        func fail(_ reason: String) -> DatasetError { .fashionMNISTUnavailable(directory: directory, reason: reason) }
        guard images.dataType == .uint8, images.shape.count == 3, images.shape[1] == side, images.shape[2] == side else {
            throw fail("\(stems.images) holds \(images.dataType) values of shape \(images.shape), not n x 28 x 28 bytes")
        }
        guard labels.dataType == .uint8, labels.shape == [images.shape[0]] else {
            throw fail("\(stems.labels) holds \(labels.dataType) values of shape \(labels.shape), not \(images.shape[0]) bytes")
        }
        guard images.shape[0] > 0 else { throw fail("\(stems.images) holds no picture") }
        if let bad = labels.payload.first(where: { $0 >= classNames.count }) {
            throw fail("\(stems.labels) holds label \(bad), outside 0...9")
        }
        return FashionMNISTData(pixels: images.payload, labels: labels.payload)
    }

    /// The IDX file `stem` (uncompressed) or `stem.gz` in `directory`.
    static func readIDX(directory: String, stem: String) throws(DatasetError) -> IDXFile {
        let plain = directory + "/" + stem
        let path = FileManager.default.fileExists(atPath: plain) ? plain : plain + ".gz"
        guard FileManager.default.fileExists(atPath: path) else {
            throw .fashionMNISTUnavailable(directory: directory, reason: "neither \(stem) nor \(stem).gz is there")
        }
        do {
            return try IDXFile.read(path: path)
        } catch {
            throw .fashionMNISTUnavailable(directory: directory, reason: "\(error)")
        }
    }

    /// Item `index` as a one-frame grey picture with values in [0, 1].
    func picture(_ index: Int) -> VideoFrames {
        let plane = Self.side * Self.side
        var values = [Float](repeating: 0, count: plane)
        pixels.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                for p in 0..<plane { target[p] = Float(source[index * plane + p]) / 255 }
            }
        }
        return try! VideoFrames(channels: 1, frames: 1, height: Self.side, width: Self.side, pixels: values)
    }

    /// The class of item `index` as a caption noun phrase: "a sneaker", "an ankle boot".
    func noun(_ index: Int) -> String {
        let name = Self.classNames[Int(labels[index])].lowercased()
        let article = "aeiou".contains(name.first!) ? "an" : "a"
        return "\(article) \(name)"
    }
}
