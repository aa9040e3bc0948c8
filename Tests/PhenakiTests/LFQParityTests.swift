import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

/// Runs `build` (named outputs and a loss term) through `runParity`, differentiating the
/// parameters the fixture has gradients for, and compares: float outputs ≤ 1e-4 relative to their
/// max |value|, int32 outputs by the fraction of equal entries (≥ `minIdsEqual`), gradients ≤ 1e-3.
/// Every stored gradient must have a Swift counterpart. `zeroGradients` maps gradients that are
/// zero in exact arithmetic (their stored value is float32 roundoff) to the gradient whose scale
/// measures that roundoff: they are compared in absolute terms against that scale. Returns the
/// worst errors seen.
@discardableResult
func checkQuantizerParity(_ fixture: ReferenceFixture, gradOf: String, extraInputs: [String: HostTensor] = [:],
                          minIdsEqual: Double = 1, zeroGradients: [String: String] = [:],
                          build: ([String: Tensor]) -> (outputs: [(String, Tensor)], loss: Tensor?)) throws -> [String: Double] {
    var names: [String] = []
    let run = try runParity(fixture, extraInputs: extraInputs,
                            differentiate: { fixture.outputs["grad:" + $0] != nil }) { _, x in
        let (outputs, lossTerm) = build(x)
        names = outputs.map(\.0)
        let graded = outputs.first { $0.0 == gradOf }!.1
        return (outputs, graded, lossTerm)
    }
    for key in fixture.outputs.keys where key.hasPrefix("grad") {
        #expect(run.gradientNames.contains(key), "\(fixture.name): \(key) has no Swift counterpart")
    }
    var worst: [String: Double] = [:]
    for (label, result) in run.results {
        for name in names + run.gradientNames {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            #expect(actual.shape == expected.shape, "\(fixture.name) \(label) \(name): shape \(actual.shape) vs \(expected.shape)")
            if expected.dtype == .int32 {
                let equal = zip(actual.scalars, expected.scalars).filter { $0 == $1 }.count
                let fraction = Double(equal) / Double(max(expected.count, 1))
                worst["\(label) \(name) equal"] = fraction
                #expect(fraction >= minIdsEqual, "\(fixture.name) \(label) \(name): \(fraction) equal")
                continue
            }
            var floor = 1e-6
            if let reference = zeroGradients[name] {
                let referenceScale = fixture.outputs[reference]!.scalars.map(abs).max() ?? 0
                #expect((expected.scalars.map(abs).max() ?? 0) <= 1e-4 * referenceScale,
                        "\(fixture.name): \(name) is not ~0 in the fixture")
                floor = referenceScale
            }
            let relative = relativeError(actual, expected, floor: floor)
            let tolerance = name.hasPrefix("grad") ? 1e-3 : 1e-4
            let key = name.hasPrefix("grad:") ? "\(label) grad:*" : "\(label) \(name)"
            worst[key] = max(worst[key] ?? 0, relative)
            #expect(relative <= tolerance, "\(fixture.name) \(label) \(name): relative error \(relative)")
        }
    }
    print("\(fixture.name) parity: \(worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    return worst
}

@discardableResult
private func checkLFQParity(_ fixture: ReferenceFixture, gradOf: String, extraInputs: [String: HostTensor] = [:],
                            minIdsEqual: Double = 1,
                            build: ([String: Tensor]) -> (outputs: [(String, Tensor)], loss: Tensor)) throws -> [String: Double] {
    try checkQuantizerParity(fixture, gradOf: gradOf, extraInputs: extraInputs, minIdsEqual: minIdsEqual) { x in
        let (outputs, loss) = build(x)
        return (outputs, loss)
    }
}

@Suite struct LFQParityTests {
    /// `LFQ(dim=16, codebook_size=64)` in training mode on x [2, 18, 16] (`lfq`: the entropy
    /// softmax is saturated at inv_temperature 100) and on 0.02·x (`lfq_soft`: it is not).
    @Test(arguments: ["lfq", "lfq_soft"]) func lfq(_ name: String) throws {
        let f = try ReferenceFixture("lfq", name)
        let lfq = LFQ(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        #expect(lfq.hasProjections && lfq.codebookDim == 6)
        try checkLFQParity(f, gradOf: "quantized") { x in
            let (q, ids, aux) = lfq(x["x"]!)
            return ([("quantized", q), ("indices", ids), ("aux_loss", aux)], aux)
        }
    }

    /// `LFQ.indices_to_codes` inverts the quantizer: the codes of the indices are the signs.
    @Test func codesOfIndices() throws {
        let f = try ReferenceFixture("lfq", "lfq")
        let lfq = LFQ(dim: f.int("dim"), codebookSize: f.int("codebook_size"))
        let ids = try #require(f.outputs["indices"])
        let t = Tracer()
        let codes = lfq.indicesToCodes(t.input("ids", ids.shape, .int32), projectOut: false)
        let graph = try t.finish(outputs: [("codes", codes)])
        let out = try #require(try ReferenceInterpreter(precision: .float64).run(graph, feeds: ["ids": ids])["codes"])
        #expect(out.shape == ids.shape + [6])
        for (i, id) in ids.scalars.enumerated() {
            let bits = (0..<6).map { (Int(id) >> (5 - $0)) & 1 == 1 ? 1.0 : -1.0 }
            #expect(Array(out.scalars[(i * 6)..<(i * 6 + 6)]) == bits)
        }
    }

    /// The tiny CViViT's forward (training mode, dropout 0): reconstruction, recon and aux
    /// losses, codebook ids, decode_from_codebook_indices, and the gradients of
    /// Σ recon·grad_weight + recon_loss + aux_loss wrt `vq.*` and the video.
    @Test func cvivitForward() throws {
        let f = try ReferenceFixture("lfq", "cvivit")
        let model = f.cvivit
        let vq = model.quantizer(codebookSize: f.int("codebook_size"))
        let ids = try #require(f.outputs["indices"])
        let flatIds = HostTensor(shape: [ids.shape[0], ids.count / ids.shape[0]], dtype: .int32, scalars: ids.scalars)
        try checkLFQParity(f, gradOf: "recon", extraInputs: ["ids": flatIds], minIdsEqual: 0.999) { x in
            let (recon, reconLoss, auxLoss) = model.reconstruct(video: x["video"]!, quantizer: vq)
            let codebookIds = model.codebookIds(video: x["video"]!, quantizer: vq)
            let decoded = model.decodeFromCodebookIndices(x["ids"]!, quantizer: vq)
            return ([("recon", recon), ("recon_loss", reconLoss), ("aux_loss", auxLoss), ("indices", codebookIds),
                     ("decoded", decoded)], reconLoss + auxLoss)
        }
    }
}
