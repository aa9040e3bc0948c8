import Foundation
import GraphCompiler
import GraphRuntime
import PhenakiGraphs
import Testing
import TensorGraph

extension ReferenceFixture {
    /// The tiny CViViT a cvivit or lfq fixture was made with.
    var cvivit: CViViT {
        CViViT(dim: int("dim"), imageSize: pair("image_size"), patchSize: pair("patch_size"),
               temporalPatchSize: int("temporal_patch_size"), spatialDepth: int("spatial_depth"),
               temporalDepth: int("temporal_depth"), dimHead: int("dim_head"), heads: int("heads"))
    }
}

/// Gradients that are exactly zero in exact arithmetic, with the gradient whose scale measures
/// their float32 roundoff. The last layer bias of `spatial_rel_pos_bias` adds one constant per
/// head to every attention score of the (unmasked, null-kv-free) spatial attention, which the
/// softmax cancels; PyTorch's float32 value is noise (~1e-7), so it is compared in absolute terms
/// against the scale of `net.2.weight`'s gradient instead of relative to itself.
private let zeroGradientReference = [
    "grad:spatial_rel_pos_bias.net.2.bias": "grad:spatial_rel_pos_bias.net.2.weight",
]

/// Runs `build` through `runParity` and compares y (≤ 1e-4 relative to max |y|) and every
/// gradient (≤ 1e-3); every parameter phenaki-pytorch uses (a gradient not all zeros) must be one
/// of ours. Returns the worst relative errors seen, for the record.
@discardableResult
private func checkCViViTParity(_ fixture: ReferenceFixture, build: ([String: Tensor]) -> Tensor) throws -> [String: Double] {
    var shape: [Int] = []
    let run = try runParity(fixture) { _, x in
        let y = build(x)
        shape = y.shape
        return ([("y", y)], y, nil)
    }
    let ours = Set(run.forward.parameters.map(\.name))
    for (key, grad) in fixture.outputs where key.hasPrefix("grad:") && grad.scalars.contains(where: { $0 != 0 }) {
        #expect(ours.contains(String(key.dropFirst(5))), "\(fixture.name): \(key) is not a Swift parameter")
    }
    #expect(fixture.outputs["y"]?.shape == shape, "\(fixture.name): y shape")

    var worst: [String: Double] = [:]
    for (label, result) in run.results {
        for name in ["y"] + run.gradientNames {
            guard let expected = fixture.outputs[name] else { continue }
            let actual = try #require(result[name], "\(name) missing")
            var floor = 1e-6
            if let reference = zeroGradientReference[name] {
                // Mathematically zero: both sides must be roundoff next to the reference
                // gradient's scale (checked below against the same 1e-3).
                let referenceScale = fixture.outputs[reference]!.scalars.map(abs).max() ?? 0
                let own = max(expected.scalars.map(abs).max() ?? 0, 1e-6)
                #expect(own <= 1e-5 * referenceScale, "\(fixture.name): \(name) is not ~0 in the fixture")
                floor = referenceScale
            }
            let relative = relativeError(actual, expected, floor: floor)
            let tolerance = name == "y" ? 1e-4 : 1e-3
            let key = "\(label) " + (name == "y" ? "y" : name.hasPrefix("grad_input:") ? "grad_input" : "grad")
            worst[key] = max(worst[key] ?? 0, relative)
            #expect(relative <= tolerance, "\(fixture.name) \(label) \(name): relative error \(relative)")
        }
    }
    print("CViViT \(fixture.name) parity, worst relative errors: \(worst.sorted { $0.key < $1.key })")
    return worst
}

@Suite struct CViViTParityTests {
    /// Patch embedding + `CViViT.encode` on a [2, 3, 5, 8, 12] video: pre-quantizer tokens [2, 3, 2, 3, 16].
    @Test func encodeHalf() throws {
        let f = try ReferenceFixture("cvivit", "encode")
        let model = f.cvivit
        try checkCViViTParity(f) { x in model.encodeTokens(video: x["video"]!) }
    }

    /// `CViViT.decode` of random [2, 3, 2, 3, 16] tokens: pixels [2, 3, 5, 8, 12].
    @Test func decodeHalf() throws {
        let f = try ReferenceFixture("cvivit", "decode")
        let model = f.cvivit
        try checkCViViTParity(f) { x in model.decodeTokens(x["tokens"]!) }
    }
}
