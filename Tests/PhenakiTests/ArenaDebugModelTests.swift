import Foundation
import GraphCompiler
import GraphRuntime
import Phenaki
import Testing
import TensorGraph

/// Every Phenaki model (tiny variant) runs one step under the arena debug mode — canaries around
/// every activation buffer, freed buffers poisoned with NaN — with outputs bit-equal to a normal
/// run: no kernel writes outside its buffer and no step reads a dead one.
@Suite struct ArenaDebugModelTests {
    /// Deterministic feeds that every model accepts: parameters from their initialisers, floats a
    /// smooth pattern, ints 0/1 (valid indices of any axis), bools 1, keys fixed.
    func feed(_ e: PlanExecutor) throws {
        for b in e.feedBindings {
            let n = b.type.count
            let value: HostTensor
            switch (b.role, b.type.dtype) {
            case (.parameter, _):
                value = initialValue(of: b.type, initializer: b.initializer ?? .zeros, name: b.name, seed: 2)
            case (.rngKey, _): value = HostTensor(shape: b.type.shape, dtype: b.type.dtype, scalars: (0..<n).map { Double($0 + 7) })
            case (_, .float32):
                value = HostTensor(shape: b.type.shape, scalars: (0..<n).map { 0.5 + 0.4 * sin(0.37 * Double($0) + Double(b.name.count)) })
            case (_, .int32): value = HostTensor(shape: b.type.shape, dtype: .int32, scalars: (0..<n).map { Double($0 % 2) })
            case (_, .bool): value = HostTensor(shape: b.type.shape, dtype: .bool, scalars: Array(repeating: 1, count: n))
            }
            try e.setFeed(b.name, value)
        }
    }

    @Test(arguments: PhenakiModels.names)
    func bitEqualUnderDebugMode(name: String) throws {
        let plan = try compile(PhenakiModels.graph(named: name, config: .tiny))
        var outputs: [[String: [UInt64]]] = []
        for debug in [false, true] {
            let e = try PlanExecutor(plan: plan, threads: 2, debugArena: debug)
            try feed(e)
            try e.run()
            try e.run()  // a second run starts from the arena the first one left (poisoned in debug mode)
            var values: [String: [UInt64]] = [:]
            for o in plan.outputs { values[o.name] = e.output(o.name)!.scalars.map { $0.bitPattern } }
            outputs.append(values)
        }
        let differing = outputs[0].keys.filter { outputs[0][$0] != outputs[1][$0] }.sorted()
        #expect(differing.isEmpty, "\(name): outputs differ under the debug mode: \(differing.prefix(5))")
    }
}
