import KernelIR
import Testing
@testable import Backends

// A run writes results straight into the caller's output buffers when it safely can, and copies
// them out otherwise: both give the interpreter's answer, also when an output buffer is an input.

/// x -> (tanh(x) * 2, exp(x)): two results, each in a slot of its own, computed from one input.
private func twoResults() throws -> Graph {
    let builder = GraphBuilder(name: "two_results")
    let x = builder.parameter(TensorType(.f32, [64, 48]), name: "x")
    let doubled = try builder.mul(builder.tanh(x), builder.constant(2, TensorType(.f32, [64, 48])))
    return builder.build(returning: [doubled, try builder.exp(x)])
}

@Test func resultsAreWrittenIntoTheCallersBuffers() throws {
    let device = try CPUTestDevice.shared()
    let graph = try twoResults()
    let executable = try device.compile(Fusion.schedule(graph, options: device.fusionOptions))
    let cpu = try #require(executable as? CPUExecutable)
    #expect(cpu.directOutputCandidates.count == 2)
    let inputs = TestInputs.random(for: graph, seed: 2)
    expectMatches(try device.evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: 1, "results written in place")
}

@Test func anOutputBufferThatIsAlsoTheInputIsNotOverwrittenEarly() throws {
    let device = try CPUTestDevice.shared()
    let graph = try twoResults()
    let executable = try device.compile(Fusion.schedule(graph, options: device.fusionOptions))
    let inputs = TestInputs.random(for: graph, seed: 3)
    let expected = try Interpreter().run(graph, inputs: inputs)
    let shared = try device.buffer(holding: inputs[0])
    let other = try device.allocate(byteCount: expected[1].type.byteCount)
    // The first result goes into the input's own buffer: it must still be read as the input throughout.
    try device.run(executable, inputs: [shared], outputs: [shared, other])
    let got = [try device.value(of: shared, as: expected[0].type), try device.value(of: other, as: expected[1].type)]
    expectMatches(got, expected, reductionLength: 1, "output 0 in the input's buffer")
    // Twice in a row, so a later run of the same arena finds its slots where they belong.
    try device.run(executable, inputs: [try device.buffer(holding: inputs[0])], outputs: [other, shared])
    let swapped = [try device.value(of: other, as: expected[0].type), try device.value(of: shared, as: expected[1].type)]
    expectMatches(swapped, expected, reductionLength: 1, "outputs swapped")
}

@Test func oneValueReturnedTwiceFillsBothBuffers() throws {
    let device = try CPUTestDevice.shared()
    let builder = GraphBuilder(name: "twice")
    let x = builder.parameter(TensorType(.f32, [32, 32]), name: "x")
    let y = try builder.exp(x)
    let graph = builder.build(returning: [y, y])
    let executable = try device.compile(Fusion.schedule(graph, options: device.fusionOptions))
    let inputs = TestInputs.random(for: graph, seed: 4)
    expectMatches(try device.evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: 1, "one value, two results")
}
