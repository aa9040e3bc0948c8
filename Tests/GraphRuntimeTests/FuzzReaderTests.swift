import Foundation
import FuzzSupport
import GraphCompiler
import GraphRuntime
import TensorGraph
import Testing

/// Seeded mutation fuzzing of the file readers of GraphRuntime (safetensors, `.npy`, plan
/// files; see `Fuzzer`): each mutant decodes to a consistent value or throws the reader's
/// typed error, and never crashes, hangs or allocates beyond what its bytes justify.
@Suite("GraphRuntime: fuzzing the readers")
struct FuzzReaderTests {
    /// Decimal numbers that break extents, offsets and indices once they replace one in a header.
    static let interestingNumbers = ["-1", "0", "1", "3", "255", "65536", "2147483647", "2147483648", "4294967296",
                                     "9223372036854775807", "9223372036854775808", "99999999999999999999", "1e400",
                                     "-0", "0.5", "1E3"]

    /// `bytes` with one run of ASCII digits (chosen at random) replaced by an interesting number:
    /// byte flips rarely keep JSON or a Python literal valid, this keeps it valid and hits the arithmetic.
    static func replaceNumber(_ fuzzer: inout Fuzzer, _ bytes: [UInt8]) -> [UInt8] {
        let digit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        let starts = bytes.indices.filter { digit(bytes[$0]) && ($0 == 0 || !digit(bytes[$0 - 1])) }
        guard !starts.isEmpty else { return bytes }
        let start = starts[fuzzer.below(starts.count)]
        var end = start
        while end < bytes.count && digit(bytes[end]) { end += 1 }
        let number = interestingNumbers[fuzzer.below(interestingNumbers.count)]
        return Array(bytes[..<start]) + Array(number.utf8) + Array(bytes[end...])
    }

    static func tensors() -> [String: HostTensor] {
        ["a.weight": HostTensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 1e-3, 7]),
         "b": HostTensor(shape: [4], dtype: .int32, scalars: [0, 1, -5, 1_048_576]),
         "mask": HostTensor(shape: [1, 2], dtype: .bool, scalars: [1, 0]),
         "scalar": HostTensor(shape: [], scalars: [2.5])]
    }

    @Test func safetensorsReader() throws {
        let seeds = [try [UInt8](SafeTensorsFile(tensors: Self.tensors(), metadata: ["format": "pt"]).encoded()),
                     try [UInt8](SafeTensorsFile(tensors: ["x": HostTensor(shape: [0, 3], scalars: [])]).encoded())]
        var decoded = 0
        let tried = Fuzzer.run("safetensors", seeds: seeds, transform: { fuzzer, bytes in
            fuzzer.below(2) == 0 ? bytes : Self.replaceNumber(&fuzzer, bytes)
        }) { bytes in
            do {
                let file = try SafeTensorsFile.decode(Data(bytes))
                for (name, tensor) in file.tensors {
                    #expect(tensor.scalars.count == tensor.shape.reduce(1, *), "\(name)")
                }
                decoded += 1
            } catch let error as SafeTensorsError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("threw \(type(of: error)), not a SafeTensorsError: \(error)")
            }
        }
        print("safetensors fuzz: \(tried) inputs, \(decoded) decoded")
        #expect(decoded >= seeds.count)
    }

    @Test func numpyReader() throws {
        let seeds = try Self.tensors().values.map { try [UInt8](NumPyArray.encode($0)) }
        var decoded = 0
        let tried = Fuzzer.run("npy", seeds: seeds, transform: { fuzzer, bytes in
            fuzzer.below(2) == 0 ? bytes : Self.replaceNumber(&fuzzer, bytes)
        }) { bytes in
            do {
                let tensor = try NumPyArray.decode(Data(bytes))
                #expect(tensor.scalars.count == tensor.shape.reduce(1, *))
                decoded += 1
            } catch let error as NumPyError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("threw \(type(of: error)), not a NumPyError: \(error)")
            }
        }
        print("npy fuzz: \(tried) inputs, \(decoded) decoded")
        #expect(decoded >= seeds.count)
    }

    /// The fuzzer mutates the JSON payload; the file around it (magic, version, length and
    /// hash) is rebuilt for most mutants so that they reach the JSON decoder and `verifyPlan`.
    @Test func planFileLoader() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [2, 4])
            let y = Sequential { Linear(4, 3); GELU() }(x)
            return ["loss": y.square().mean(), "y": y]
        }
        let training = try compile(trainingGraph(graph, loss: "loss", options: TrainingOptions()))
        let inference = try compile(graph)
        let seeds = try [training, inference].map { plan in
            let file = try [UInt8](PlanFile(plan: plan, metadata: ["model": "fuzz"]).encoded())
            return Array(file[28...])
        }
        var loaded = 0
        let tried = Fuzzer.run("plan", seeds: seeds, limit: 1 << 20, transform: { fuzzer, payload in
            let mutated = fuzzer.below(2) == 0 ? payload : Self.replaceNumber(&fuzzer, payload)
            // One in eight keeps a stale header, to exercise the length and hash checks.
            return fuzzer.below(8) == 0 ? [0] + mutated : [1] + mutated
        }) { input in
            // The unmutated seeds arrive bare; mutants carry a flag byte saying whether to wrap.
            let wrap = input.count == 0 || input[0] != 0
            let payload = seeds.contains(input) ? input : Array(input.dropFirst())
            var file = Data(PlanFile.magic)
            file.append(contentsOf: withUnsafeBytes(of: UInt32(Plan.formatVersion).littleEndian, Array.init))
            file.append(contentsOf: withUnsafeBytes(of: UInt64(payload.count).littleEndian, Array.init))
            let hash = wrap ? fnv1a64(Data(payload)) : 0
            file.append(contentsOf: withUnsafeBytes(of: hash.littleEndian, Array.init))
            file.append(contentsOf: payload)
            do {
                let plan = try PlanFile.decode(file)
                // What loads must save and load back to itself.
                #expect(try PlanFile.decode(plan.encoded()) == plan)
                loaded += 1
            } catch let error as PlanFileError {
                #expect(!error.description.isEmpty)
            } catch {
                Issue.record("PlanFile.decode threw \(type(of: error)), not a PlanFileError: \(error)")
            }
        }
        print("plan fuzz: \(tried) inputs, \(loaded) loaded")
        #expect(loaded >= seeds.count)
    }
}
