import KernelIR
import Testing
@testable import Backends

// Loop kernels that can be split (as compiled ones can) run in chunks over the pool, epilogues in
// place; the interpreted fallback stands in for every other kernel.

/// A hand-written stand-in for a compiled kernel: an `f32` unary function over its range, reading
/// input 0 (which may be the output itself, as a contraction's epilogue does).
private struct UnaryTestKernel: LoopKernel {
    let name: String
    let function: @Sendable (Float) -> Float

    func run(_ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>) {
        let input = buffers[0].assumingMemoryBound(to: Float.self)
        let output = buffers[1].assumingMemoryBound(to: Float.self)
        for index in range { output[index] = function(input[index]) }
    }
}

/// Compiles single-op `neg` bodies (and `neg` epilogues) to ``UnaryTestKernel``, the rest to the interpreter.
private let negatingFactory: LoopKernelFactory = { kernels throws(BackendError) in
    kernels.map { kernel -> any LoopKernel in
        let body = kernel.body
        guard body.instructions.count == 1, case .unary(.neg) = body.instructions[0].op, body.resultTypes[0].dtype == .f32 else {
            return InterpretedLoopKernel(kernel: kernel)
        }
        // An epilogue's last parameter is the contraction result; a plain loop's only one is its input.
        let source = body.instructions[0].operands[0].index
        return source == body.parameters.count - 1 && body.parameters.count > 1
            ? EpilogueNegation(name: body.name, inputCount: body.parameters.count)
            : UnaryTestKernel(name: body.name, function: { -$0 })
    }
}

/// `neg` of the contraction result, which sits in buffer `inputCount - 1`, written to the output in place.
private struct EpilogueNegation: LoopKernel {
    let name: String
    let inputCount: Int

    func run(_ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>) {
        let result = buffers[inputCount - 1].assumingMemoryBound(to: Float.self)
        let output = buffers[inputCount].assumingMemoryBound(to: Float.self)
        for index in range { output[index] = -result[index] }
    }
}

@Test func splittableLoopKernelsRunInChunks() throws {
    let device = CPUTestDevice.isolated(makeLoopKernels: negatingFactory)
    let builder = GraphBuilder(name: "negate")
    let x = builder.parameter(TensorType(.f32, [1 << 18]), name: "x")
    let schedule = Fusion.schedule(builder.build(returning: [try builder.neg(x)]))
    let executable = try #require(try device.compile(schedule) as? CPUExecutable)
    guard case let .loop(launch) = executable.steps[0] else {
        Issue.record("expected a loop step")
        return
    }
    #expect(launch.kernel is UnaryTestKernel)
    #expect(launch.minimumChunk < launch.elementCount)
    let input = TestInputs.random(for: schedule.kernels[0].body, seed: 1)
    expectMatches(try device.evaluate(executable, on: input), try Interpreter().run(schedule, inputs: input), reductionLength: 1, "negate")
}

@Test func epiloguesRunInPlaceInChunks() throws {
    let device = CPUTestDevice.isolated(makeLoopKernels: negatingFactory)
    let builder = GraphBuilder(name: "negated_product")
    let a = builder.parameter(TensorType(.f32, [256, 16]), name: "a"), b = builder.parameter(TensorType(.f32, [16, 512]), name: "b")
    let graph = builder.build(returning: [try builder.neg(builder.matmul(a, b))])
    let schedule = Fusion.schedule(graph)
    let executable = try #require(try device.compile(schedule) as? CPUExecutable)
    guard case let .contraction(launch) = executable.steps[0], let epilogue = launch.epilogue else {
        Issue.record("expected a contraction with an epilogue")
        return
    }
    #expect(epilogue.kernel is EpilogueNegation)
    #expect(launch.result == schedule.kernels[0].output.index)
    #expect(epilogue.minimumChunk < epilogue.elementCount)
    let inputs = TestInputs.random(for: graph, seed: 2)
    expectMatches(try device.evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs), reductionLength: 100, "negated product")
}

@Test func epiloguesThatChangeTheElementSizeReadTheResultFromScratch() throws {
    let device = try CPUTestDevice.shared()
    let builder = GraphBuilder(name: "product_as_f16")
    let a = builder.parameter(TensorType(.f32, [4, 8]), name: "a"), b = builder.parameter(TensorType(.f32, [8, 6]), name: "b")
    let graph = builder.build(returning: [try builder.cast(builder.matmul(a, b), to: .f16)])
    // Fusion keeps narrowing casts out of epilogues; a hand-made schedule still exercises the scratch path.
    let type = graph.resultTypes[0]
    let schedule = Schedule(name: graph.name, inputTypes: graph.parameters.map(\.type), slotByteCounts: [type.byteCount],
                            kernels: [Kernel(kind: .contraction, body: graph, inputs: [BufferID(index: 0), BufferID(index: 1)], output: BufferID(index: 2))],
                            outputs: [(BufferID(index: 2), type)])
    let executable = try #require(try device.compile(schedule) as? CPUExecutable)
    guard case let .contraction(launch) = executable.steps[0], launch.epilogue != nil else {
        Issue.record("expected a contraction with an epilogue")
        return
    }
    #expect(launch.result == executable.layout.resultScratchIndex)
    let inputs = TestInputs.random(for: graph, seed: 3)
    expectMatches(try device.evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs), reductionLength: 100, "f16 product")
}
