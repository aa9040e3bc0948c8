import Foundation
import GraphCompiler
import GraphRuntime
import TensorGraph
import Testing

/// Plan files: what is written reads back equal, and every kind of damage is refused with a
/// typed `PlanFileError` whose message names the file and says what to do.
@Suite("Plan files")
final class PlanFileTests {
    /// The training plan of a small MLP (forward, backward, AdamW): many buffers, reused offsets.
    let file: PlanFile
    /// A fresh directory for this test's files.
    let directory: String

    init() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4, 8])
            let target = t.input("target", [4, 3])
            let y = Sequential {
                Linear(8, 16)
                GELU()
                Linear(16, 3)
            }(x)
            return ["loss": (y - target).square().mean(), "y": y]
        }
        let plan = try compile(trainingGraph(graph, loss: "loss", options: TrainingOptions(weightDecay: 0.01)))
        file = PlanFile(plan: plan, metadata: ["model": "tiny-mlp", "train": "true"])
        directory = NSTemporaryDirectory() + "phenaki-planfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes `bytes` to a file of this test's directory and returns its path.
    private func store(_ bytes: Data, as name: String) throws -> String {
        let path = directory + "/" + name
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `payload` behind a correct header (magic, version, length, hash), as `encoded()` writes it.
    private func framed(_ payload: Data) -> Data {
        var data = Data(PlanFile.magic)
        withUnsafeBytes(of: UInt32(Plan.formatVersion).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: fnv1a64(payload).littleEndian) { data.append(contentsOf: $0) }
        return data + payload
    }

    /// The error `PlanFile.read` throws for `bytes` stored as `name`, with its path.
    private func readError(_ bytes: Data, as name: String) throws -> (PlanFileError, String) {
        let path = try store(bytes, as: name)
        do {
            _ = try PlanFile.read(from: path)
        } catch let error as PlanFileError {
            return (error, path)
        }
        Issue.record("\(name) was accepted")
        throw PlanFileError.corrupt(path: path, reason: "accepted")
    }

    @Test func writeThenReadGivesAnEqualFile() throws {
        let path = directory + "/mlp.plan"
        try file.write(to: path)
        let back = try PlanFile.read(from: path)
        #expect(back == file)
        #expect(back.metadata["model"] == "tiny-mlp")
        #expect(try PlanFile.decode(file.encoded()) == file)
        // Nothing but the plan is left behind (the temporary file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["mlp.plan"])
    }

    /// A `Data` slice (non-zero start index), as a caller holding a larger buffer passes it,
    /// decodes like the bytes on their own (the payload was once cut with absolute indices).
    @Test func decodesADataSlice() throws {
        let padded = Data([1, 2, 3]) + (try file.encoded())
        let slice = padded[3...]
        #expect(slice.startIndex == 3)
        #expect(try PlanFile.decode(slice) == file)
    }

    @Test func theHeaderHasTheDocumentedLayout() throws {
        let bytes = [UInt8](try file.encoded())
        #expect(Array(bytes[0..<8]) == Array("PHNKPLAN".utf8))
        #expect(Array(bytes[8..<12]) == [UInt8(Plan.formatVersion), 0, 0, 0])
        let length = bytes[12..<20].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let hash = bytes[20..<28].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(length == UInt64(bytes.count - 28))
        #expect(hash == fnv1a64(Data(bytes[28...])))
        #expect(bytes[28] == UInt8(ascii: "{"))  // a JSON object
    }

    @Test func fnv1aMatchesPublishedValues() {
        // Test vectors of the FNV-1a 64-bit specification.
        #expect(fnv1a64(Data()) == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64(Data("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(fnv1a64(Data("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    @Test func randomBytesAreNotAPlan() throws {
        let noise = Data(RNGKey(seed: 7).uniform(count: 4096).map { UInt8(Int($0 * 256) & 255) })
        let (error, path) = try readError(noise, as: "noise.plan")
        #expect(error == .notAPlan(path: path))
        #expect(error.description == "\(path) is not a phenaki plan file (bad magic bytes)")
    }

    @Test func anEmptyFileIsNotAPlan() throws {
        let (error, path) = try readError(Data(), as: "empty.plan")
        #expect(error == .notAPlan(path: path))
    }

    @Test func aJSONFileIsNotAPlan() throws {
        // The payload alone, as someone might save a plan with a JSON tool.
        let json = try JSONEncoder().encode(file)
        let (error, path) = try readError(json, as: "plan.json")
        #expect(error == .notAPlan(path: path))
    }

    @Test func anotherFormatVersionIsRefused() throws {
        var bytes = try file.encoded()
        bytes.replaceSubrange(8..<12, with: [7, 0, 0, 0])
        let (error, path) = try readError(bytes, as: "future.plan")
        #expect(error == .version(path: path, found: 7, expected: UInt32(Plan.formatVersion)))
        #expect(error.description.contains("format version 7"))
        #expect(error.description.contains("phenaki compile"))
    }

    @Test("a truncated file", arguments: [1, 100, 5000])
    func truncatedPayload(missing: Int) throws {
        let bytes = try file.encoded()
        let (error, path) = try readError(bytes.prefix(bytes.count - missing), as: "truncated.plan")
        let payload = bytes.count - 28
        #expect(error == .corrupt(path: path, reason: "payload is \(payload - missing) bytes, header says \(payload)"))
        #expect(error.description.hasSuffix("compile it again"))
    }

    /// A file cut inside its header still starts with the magic bytes: it is a damaged plan,
    /// not some other file.
    @Test("a file cut inside its header", arguments: [8, 12, 27])
    func truncatedHeader(length: Int) throws {
        let bytes = try file.encoded()
        let (error, path) = try readError(bytes.prefix(length), as: "header.plan")
        #expect(error == .corrupt(path: path, reason: "the header is cut short: \(length) of 28 bytes"))
    }

    @Test func aFlippedPayloadByteFailsTheHash() throws {
        var bytes = try file.encoded()
        let i = 28 + (bytes.count - 28) / 2
        bytes[i] ^= 0x01
        let (error, path) = try readError(bytes, as: "flipped.plan")
        #expect(error == .corrupt(path: path, reason: "hash mismatch"))
    }

    @Test func aWellHashedPayloadThatIsNotAPlanIsRefused() throws {
        // Valid JSON, correct hash, but a field of the wrong type.
        let json = String(decoding: try JSONEncoder().encode(file), as: UTF8.self)
        let broken = json.replacingOccurrences(of: "\"activationBytes\":", with: "\"activationBytes\":\"many\",\"x\":")
        #expect(broken != json)
        let (error, path) = try readError(framed(Data(broken.utf8)), as: "notplan.plan")
        guard case .corrupt(let errorPath, let reason) = error else {
            Issue.record("expected .corrupt, got \(error)")
            return
        }
        #expect(errorPath == path)
        #expect(reason.hasPrefix("cannot decode the plan: "))
        #expect(reason.contains("activationBytes"))

        // Not JSON at all.
        let (garbage, _) = try readError(framed(Data("plan, but not JSON".utf8)), as: "garbage.plan")
        #expect(garbage.description.contains("cannot decode the plan"))
    }

    @Test func aPlanThatFailsVerificationIsRefused() throws {
        // Move one buffer onto another that is live at the same time.
        var plan = file.plan
        let live = plan.buffers.indices.filter {
            plan.buffers[$0].arena == .activations && plan.buffers[$0].firstStep >= 0 && plan.buffers[$0].byteCount > 0
        }
        var pair: (Int, Int)?
        search: for a in live {
            for b in live where b != a && plan.buffers[b].offset != plan.buffers[a].offset
                && plan.buffers[b].byteCount <= plan.buffers[a].byteCount
                && plan.buffers[a].firstStep <= plan.buffers[b].lastStep
                && plan.buffers[b].firstStep <= plan.buffers[a].lastStep {
                pair = (a, b)
                break search
            }
        }
        let (a, b) = try #require(pair, "the plan has no two live buffers at different offsets")
        plan.buffers[b].offset = plan.buffers[a].offset
        let bytes = try PlanFile(plan: plan, metadata: file.metadata).encoded()  // re-hashed
        let (error, path) = try readError(bytes, as: "overlap.plan")
        guard case .corrupt(let errorPath, let reason) = error else {
            Issue.record("expected .corrupt, got \(error)")
            return
        }
        #expect(errorPath == path)
        #expect(reason.hasPrefix("invalid plan: buffers "))
        #expect(reason.contains("are live at the same time"))
        #expect(reason.contains("and overlap"))
    }

    @Test func aMissingFileIsUnreadable() throws {
        let path = directory + "/nothing-here.plan"
        #expect(throws: PlanFileError.unreadable(path: path, reason: "no such file or not readable")) {
            try PlanFile.read(from: path)
        }
    }

    @Test func writingIntoAMissingDirectoryFails() throws {
        let path = directory + "/no/such/dir/x.plan"
        #expect(throws: PlanFileError.self) { try file.write(to: path) }
        do {
            try file.write(to: path)
        } catch let error as PlanFileError {
            guard case .unwritable(let errorPath, _) = error else {
                Issue.record("expected .unwritable, got \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(error.description.hasPrefix("cannot write \(path)"))
        }
    }
}
