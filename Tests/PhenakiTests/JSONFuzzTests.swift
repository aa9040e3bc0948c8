import Foundation
import GraphCompiler
import PhenakiGraphs
import TensorGraph
import Testing

@Suite struct JSONFuzzTests {
    /// Every integer of a dump replaced by odd values must decode or throw a `DumpError`,
    /// never trap.
    @Test(arguments: ["mlp", "transformer-block"])
    func mutatedIntegersNeverCrash(model: String) throws {
        let json = try jsonDump(ModelZoo.graph(named: model))
        let pattern = try NSRegularExpression(pattern: "-?[0-9]+")
        let text = json as NSString
        let matches = pattern.matches(in: json, range: NSRange(location: 0, length: text.length))
        var decoded = 0, rejected = 0
        for match in matches {
            for replacement in ["-1", "0", "3", "4611686018427387904"] {
                let mutated = text.replacingCharacters(in: match.range, with: replacement)
                do {
                    _ = try graphFromJSON(mutated)
                    decoded += 1
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(decoded + rejected == 4 * matches.count)
        #expect(rejected > 0)
    }
}
