import TensorGraph
import Testing

/// The DSL example of README.md, verbatim: keep the two in step.
struct TinyNet: Layer {
    var width = 16
    var depth = 2
    var classes = 10
    var normalize = true
    var project = false

    func callAsFunction(_ x: Tensor) -> Tensor {
        let projection: Linear? = project ? Linear(width, width, bias: false) : nil
        return Sequential {
            if normalize { LayerNorm(width) }
            for _ in 0..<depth {
                Residual {
                    Linear(width, width)
                    GELU()
                }
            }
            projection
            Linear(width, classes)
        }(x)
    }
}

@Suite struct ReadmeExampleTests {
    private func names(_ net: TinyNet) throws -> [String] {
        let graph = try Tracer.trace { t in ["logits": net(t.input("x", [8, 16]))] }
        return graph.parameters.map(\.name)
    }

    @Test func parameterNamesAreAsTheReadmeSays() throws {
        #expect(try names(TinyNet()) == [
            "0.weight", "0.bias", "1.0.weight", "1.0.bias", "2.0.weight", "2.0.bias", "4.weight", "4.bias",
        ])
        #expect(try names(TinyNet(project: true)).contains("3.weight"))
        #expect(try names(TinyNet(normalize: false)).first == "0.0.weight")
        #expect(try names(TinyNet(normalize: false)).last == "3.bias")
    }
}
