import Foundation
import GraphCompiler
@testable import GraphRuntime
import TensorGraph
import Testing

/// The arena debug mode (`PlanExecutor(plan:threads:debugArena: true)`): bit-equal results on a
/// sound plan, and hand-broken plans (which the static verifier would reject, so it is skipped
/// here) caught at run time with the step, kernel and buffer named.
@Suite("Arena debug mode")
struct ArenaDebugTests {
    /// x (persistent, 16 floats) copied into activation buffers by hand-written COPY steps.
    /// Buffer 0: x; 1: a; 2: b; 3: c. Steps: a ← x, b ← a, c ← a.
    func copyPlan() -> Plan {
        let t = TensorType([16])
        let buffers = [
            PlanBuffer(arena: .persistent, offset: 0, type: t, label: "x", firstStep: 0, lastStep: 2),
            PlanBuffer(arena: .activations, offset: 0, type: t, label: "a", firstStep: 0, lastStep: 2),
            PlanBuffer(arena: .activations, offset: 64, type: t, label: "b", firstStep: 1, lastStep: 2),
            PlanBuffer(arena: .activations, offset: 128, type: t, label: "c", firstStep: 2, lastStep: 2),
        ]
        let whole = { (b: Int) in PlanView.contiguous(b, [16]) }
        let steps = [
            PlanStep(kind: .copy, inputs: [whole(0)], outputs: [whole(1)], label: "copy_a", nodes: []),
            PlanStep(kind: .copy, inputs: [whole(1)], outputs: [whole(2)], label: "copy_b", nodes: []),
            PlanStep(kind: .copy, inputs: [whole(1)], outputs: [whole(3)], label: "copy_c", nodes: []),
        ]
        return Plan(buffers: buffers, steps: steps,
                    feeds: [PlanBinding(name: "x", buffer: 0, role: .input, type: t)],
                    outputs: [PlanBinding(name: "b", buffer: 2, role: .output, type: t),
                              PlanBinding(name: "c", buffer: 3, role: .output, type: t)],
                    constants: [], activationBytes: 192, persistentBytes: 64, constantBytes: 0,
                    lowerBoundBytes: 192, notes: [])
    }

    let x = HostTensor(shape: [16], dtype: .float32, scalars: (0..<16).map { Double($0) + 0.5 })

    @Test("a sound hand-written plan runs the same in both modes")
    func soundPlan() throws {
        for debug in [false, true] {
            let e = try PlanExecutor(plan: copyPlan(), threads: 2, debugArena: debug)
            let out = try e.run(feeds: ["x": x])
            #expect(out["b"] == x && out["c"] == x)
        }
    }

    @Test("a step that writes past its buffer's end is caught")
    func writePastEnd() throws {
        var plan = copyPlan()
        // Step 1 writes b starting 3 elements in: its last 3 elements land past b's end.
        plan.steps[1].outputs[0].elementOffset = 3
        #expect(throws: PlanError.self) { try verifyPlan(plan) }
        let e = try PlanExecutor(plan: plan, threads: 2, debugArena: true, verify: false)
        try e.setFeed("x", x)
        #expect(throws: PlanRunError.arenaCanary(step: 1, kind: "copy", label: "copy_b", buffer: "2 (b)",
                                                 detail: "0 bytes past the end of")) { try e.run() }
        // The normal mode writes into whatever follows b without noticing.
        let plain = try PlanExecutor(plan: plan, threads: 2, debugArena: false, verify: false)
        _ = try plain.run(feeds: ["x": x])
    }

    @Test("a step that writes before its buffer's start is caught")
    func writeBeforeStart() throws {
        var plan = copyPlan()
        plan.steps[2].outputs[0].elementOffset = -2
        let e = try PlanExecutor(plan: plan, threads: 1, debugArena: true, verify: false)
        try e.setFeed("x", x)
        #expect(throws: PlanRunError.arenaCanary(step: 2, kind: "copy", label: "copy_c", buffer: "3 (c)",
                                                 detail: "8 bytes before the start of")) { try e.run() }
    }

    @Test("a read after the buffer's lifetime ended (use after free) is caught")
    func useAfterFree() throws {
        var plan = copyPlan()
        plan.buffers[1].lastStep = 1  // a is freed after step 1, but step 2 still reads it
        #expect(throws: PlanError.self) { try verifyPlan(plan) }
        let e = try PlanExecutor(plan: plan, threads: 2, debugArena: true, verify: false)
        try e.setFeed("x", x)
        #expect(throws: PlanRunError.arenaPoisonRead(step: 2, kind: "copy", label: "copy_c", buffer: "1 (a)", element: 0)) {
            try e.run()
        }
    }

    @Test("a read of a buffer no step wrote is caught")
    func readBeforeWrite() throws {
        var plan = copyPlan()
        plan.steps[0].outputs[0] = PlanView(buffer: 1, shape: [8], strides: [1])  // a's second half stays unwritten
        plan.steps[0].inputs[0] = PlanView(buffer: 0, shape: [8], strides: [1])
        let e = try PlanExecutor(plan: plan, threads: 2, debugArena: true)
        try e.setFeed("x", x)
        #expect(throws: PlanRunError.arenaPoisonRead(step: 1, kind: "copy", label: "copy_b", buffer: "1 (a)", element: 8)) {
            try e.run()
        }
    }

    @Test("a compiled training plan is bit-equal under the debug mode, run after run")
    func compiledTrainingPlan() throws {
        let graph = try Tracer.trace { t in
            let x = t.input("x", [4, 8])
            let w = t.scope("layer") { t.parameter("weight", [8, 8], .normal(mean: 0, std: 0.3)) }
            let h = t.scope("layer") { matmul(x, w).tanh() }
            return ["loss": t.scope("loss") { h.square().mean() }]
        }
        let plan = try compile(trainingGraph(graph, loss: "loss", options: TrainingOptions()))
        let sessions = try [false, true].map { try TrainingSession(plan: plan, threads: 2, seed: 3, debugArena: $0) }
        let x = HostTensor(shape: [4, 8], dtype: .float32, scalars: (0..<32).map { sin(Double($0)) })
        for s in sessions { try s.setScalar("train.lr", 0.01) }
        for _ in 0..<3 {
            for s in sessions { try s.step(["x": x]) }
            for binding in plan.outputs {
                let (a, b) = (sessions[0].executor.output(binding.name)!, sessions[1].executor.output(binding.name)!)
                #expect(a.scalars.map { $0.bitPattern } == b.scalars.map { $0.bitPattern }, "\(binding.name)")
            }
        }
        #expect(sessions[1].executor.debugArena && !sessions[0].executor.debugArena)
        #expect(sessions[1].executor.plan.activationBytes > plan.activationBytes)
    }
}
