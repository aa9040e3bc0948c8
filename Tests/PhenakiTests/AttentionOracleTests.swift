import Foundation
import GraphRuntime
import PhenakiGraphs
import TensorGraph
import Testing

/// Deterministic, irregular test values in about [-1, 1].
private func values(_ count: Int, seed: Double) -> [Double] {
    (0..<count).map { sin(Double($0) * 12.9898 + seed * 78.233) * 0.9 + 0.05 * cos(Double($0) * seed) }
}

/// phenaki-pytorch's Attention, LayerNorm and FeedForward written as plain loops over
/// flat row-major arrays: the oracle for the traced graphs.
private struct NaivePhenaki {
    let feeds: [String: HostTensor]
    func p(_ name: String) -> [Double] { feeds[name]!.scalars }

    /// Bias-less LayerNorm of `rows` rows of `dim`.
    func layerNorm(_ x: [Double], dim: Int, gamma: [Double]) -> [Double] {
        var y = x
        for r in 0..<(x.count / dim) {
            let row = x[(r * dim)..<((r + 1) * dim)]
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            for c in 0..<dim { y[r * dim + c] = (x[r * dim + c] - mean) / (variance + 1e-5).squareRoot() * gamma[c] }
        }
        return y
    }

    /// `x · wᵀ` for x [rows, inF], w [outF, inF].
    func linear(_ x: [Double], _ w: [Double], inF: Int, outF: Int) -> [Double] {
        let rows = x.count / inF
        var y = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows { for o in 0..<outF { for i in 0..<inF { y[r * outF + o] += x[r * inF + i] * w[o * inF + i] } } }
        return y
    }

    func l2Normalized(_ v: [Double]) -> [Double] {
        let norm = max(v.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
        return v.map { $0 / norm }
    }

    func attention(_ x: [Double], bias: [Double], batch: Int, tokens: Int, dim: Int,
                   heads: Int, dimHead: Int, nulls: Int) -> [Double] {
        let inner = heads * dimHead
        let xn = layerNorm(x, dim: dim, gamma: p("norm.gamma"))
        let q = linear(xn, p("to_q.weight"), inF: dim, outF: inner)
        let kv = linear(xn, p("to_kv.weight"), inF: dim, outF: 2 * inner)
        let nullKV = p("null_kv"), qScale = p("q_scale"), kScale = p("k_scale")
        var merged = [Double](repeating: 0, count: batch * tokens * inner)
        for b in 0..<batch {
            for h in 0..<heads {
                func head(_ source: [Double], width: Int, offset: Int, token: Int) -> [Double] {
                    (0..<dimHead).map { source[(b * tokens + token) * width + offset + h * dimHead + $0] }
                }
                func nullRow(_ row: Int) -> [Double] { (0..<dimHead).map { nullKV[(h * 2 * nulls + row) * dimHead + $0] } }
                let keys = (0..<nulls).map { nullRow(2 * $0) }
                    + (0..<tokens).map { head(kv, width: 2 * inner, offset: 0, token: $0) }
                let vals = (0..<nulls).map { nullRow(2 * $0 + 1) }
                    + (0..<tokens).map { head(kv, width: 2 * inner, offset: inner, token: $0) }
                let scaledKeys = keys.map { zip(l2Normalized($0), kScale).map(*) }
                for i in 0..<tokens {
                    let qi = zip(l2Normalized(head(q, width: inner, offset: 0, token: i)), qScale).map(*)
                    let logits = scaledKeys.enumerated().map { j, k in
                        zip(qi, k).map(*).reduce(0, +) * 8 + (j < nulls ? 0 : bias[(h * tokens + i) * tokens + j - nulls])
                    }
                    let top = logits.max()!
                    let weights = logits.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<dimHead {
                        let value = zip(weights, vals).map { $0 / total * $1[d] }.reduce(0, +)
                        merged[(b * tokens + i) * inner + h * dimHead + d] = value
                    }
                }
            }
        }
        return linear(merged, p("to_out.weight"), inF: inner, outF: dim)
    }

    func feedForward(_ x: [Double], dim: Int, inner: Int) -> [Double] {
        let h = linear(layerNorm(x, dim: dim, gamma: p("0.gamma")), p("1.weight"), inF: dim, outF: 2 * inner)
        var gated = [Double](repeating: 0, count: h.count / 2)
        for r in 0..<(h.count / (2 * inner)) {
            for c in 0..<inner {
                let value = h[r * 2 * inner + c], gate = h[r * 2 * inner + inner + c]
                gated[r * inner + c] = 0.5 * gate * (1 + erf(gate / 2.0.squareRoot())) * value
            }
        }
        return linear(gated, p("4.weight"), inF: inner, outF: dim)
    }
}

/// Feeds every source of `graph` with irregular values (gammas and scales around 1).
private func irregularFeeds(_ graph: Graph) -> [String: HostTensor] {
    var feeds: [String: HostTensor] = [:]
    for (index, (name, node)) in (graph.inputs + graph.parameters).enumerated() {
        var scalars = values(node.type.count, seed: Double(index) + 1)
        if name.hasSuffix("gamma") || name.hasSuffix("_scale") { scalars = scalars.map { 1 + 0.5 * $0 } }
        feeds[name] = HostTensor(shape: node.type.shape, scalars: scalars)
    }
    return feeds
}

@Suite struct AttentionOracleTests {
    @Test func attentionWithNullKeysAndBiasMatchesLoops() throws {
        let (batch, tokens, dim, heads, dimHead, nulls) = (2, 3, 6, 2, 3, 2)
        let graph = try Tracer.trace { t in
            let x = t.input("x", [batch, tokens, dim])
            let bias = t.input("bias", [1, heads, tokens, tokens])
            let attention = Attention(dim: dim, dimHead: dimHead, heads: heads, numNullKV: nulls)
            return ["y": attention(x, attentionBias: bias)]
        }
        let feeds = irregularFeeds(graph)
        let y = try #require(try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)["y"])
        let expected = NaivePhenaki(feeds: feeds).attention(
            feeds["x"]!.scalars, bias: feeds["bias"]!.scalars, batch: batch, tokens: tokens, dim: dim,
            heads: heads, dimHead: dimHead, nulls: nulls)
        #expect(y.shape == [batch, tokens, dim])
        for (a, b) in zip(y.scalars, expected) { #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(a) vs \(b)") }
    }

    @Test func feedForwardMatchesLoops() throws {
        let ff = FeedForward(dim: 6, mult: 2)
        let graph = try Tracer.trace { t in ["y": ff(t.input("x", [2, 3, 6]))] }
        let feeds = irregularFeeds(graph)
        let y = try #require(try ReferenceInterpreter(precision: .float64).run(graph, feeds: feeds)["y"])
        let expected = NaivePhenaki(feeds: feeds).feedForward(feeds["x"]!.scalars, dim: 6, inner: ff.innerDim)
        for (a, b) in zip(y.scalars, expected) { #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(a) vs \(b)") }
    }
}
