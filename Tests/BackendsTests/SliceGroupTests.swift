import KernelIR
import Testing
@testable import Backends

// Chains of kernels run slice by slice (SliceGroup): which reads are slice-aligned, which chains
// group, and that grouped executables compute what the interpreter does.

@Test func sliceReadsFollowTheAxesThatMakeTheSlices() throws {
    let builder = GraphBuilder(name: "shifted")
    let x = builder.parameter(TensorType(.f32, [4, 8, 16]), name: "x")
    let m = builder.parameter(TensorType(.f32, [4, 8, 1]), name: "m")
    let shifted = try builder.sub(x, builder.broadcast(m, to: [4, 8, 16]))
    let body = builder.build(returning: [shifted])
    #expect(SliceReads(of: body, slices: 4)?.alignedParameters == [true, true])
    #expect(SliceReads(of: body, slices: 32)?.alignedParameters == [true, true], "a slice of one row reads that row's maximum")
    #expect(SliceReads(of: body, slices: 7) == nil, "512 elements do not cut into 7 slices")

    let swapped = GraphBuilder(name: "swapped")
    let y = swapped.parameter(TensorType(.f32, [4, 8, 16]), name: "y")
    let swappedBody = swapped.build(returning: [try swapped.exp(swapped.permute(y, [1, 0, 2]))])
    #expect(SliceReads(of: swappedBody, slices: 8)?.alignedParameters == [false], "slice g of the result reads column g of every slice of y")
    #expect(SliceReads(of: swappedBody, slices: 2)?.alignedParameters == [false], "no leading axes of the permuted [8, 4, 16] multiply to 2")

    let reduced = GraphBuilder(name: "reduced")
    let z = reduced.parameter(TensorType(.f32, [4, 8, 16]), name: "z")
    let rowSums = reduced.build(returning: [try reduced.reduce(.sum, z, over: [2])])
    #expect(SliceReads(of: rowSums, slices: 32)?.alignedParameters == [true])
    let batchSums = reduced.build(returning: [try reduced.reduce(.sum, z, over: [0])])
    #expect(SliceReads(of: batchSums, slices: 8)?.alignedParameters == [false], "a sum over the batch reads every slice")
}

/// `graph` compiled for the shared CPU device, with its slice groups.
private func compiled(_ graph: Graph) throws -> (executable: CPUExecutable, schedule: Schedule) {
    let device = try CPUTestDevice.shared()
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    let executable = try #require(try device.compile(schedule) as? CPUExecutable)
    return (executable, schedule)
}

@Test func attentionRunsAsOneGroupAndMatchesTheInterpreter() throws {
    let builder = GraphBuilder(name: "attention")
    let (batch, tokens, width, heads) = (2, 48, 32, 4)
    let q = builder.parameter(TensorType(.f32, [batch, tokens, width]), name: "q")
    let k = builder.parameter(TensorType(.f32, [batch, tokens, width]), name: "k")
    let v = builder.parameter(TensorType(.f32, [batch, tokens, width]), name: "v")
    let graph = builder.build(returning: [try builder.attention(query: q, key: k, value: v, heads: heads)])
    let (executable, schedule) = try compiled(graph)
    let group = try #require(executable.groups.first, "no group in \(schedule.text)")
    // Scores, row maxima, exponentials, sums, probabilities and the product with the values form one
    // chain: the product writes a fresh slot, not the one the exponentials held at another size
    // (``SliceGroup/slotReuseDistance``), which only a new group could.
    #expect(group.steps == 0..<6, "\(schedule.text)")
    #expect(group.slices > 1)
    let inputs = TestInputs.random(for: graph, seed: 11)
    expectMatches(try CPUTestDevice.shared().evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: tokens, "grouped attention")
}

@Test func aReadAcrossSlicesEndsTheGroup() throws {
    // exp runs per sample; the sum over the batch reads every sample's slice, so it cannot join.
    let builder = GraphBuilder(name: "across")
    let x = builder.parameter(TensorType(.f32, [8, 16, 16]), name: "x")
    let w = builder.parameter(TensorType(.f32, [16, 16]), name: "w")
    let hidden = try builder.exp(builder.matmul(x, w))
    let scaled = try builder.mul(hidden, builder.constant(0.5, like: hidden))
    let total = try builder.reduce(.sum, scaled, over: [0])
    let graph = builder.build(returning: [try builder.add(total, builder.constant(1, like: total)), hidden])
    let (executable, schedule) = try compiled(graph)
    let reader = try #require(schedule.kernels.firstIndex { $0.kind == .reduction }, "\(schedule.text)")
    #expect(!executable.groups.isEmpty, "the matmul and its elementwise users group: \(schedule.text)")
    #expect(executable.groups.allSatisfy { !$0.steps.contains(reader) || $0.steps.lowerBound == reader }, "\(executable.groups)")
    let results = Set(schedule.outputs.map(\.buffer.index))
    #expect(executable.groups.allSatisfy { $0.scratch.allSatisfy { !results.contains($0.entry) } }, "a result never lives in scratch")
    let inputs = TestInputs.random(for: graph, seed: 12)
    expectMatches(try CPUTestDevice.shared().evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: 16, "grouped chain")
}

@Test func aTrainingStepOfAnAttentionBlockMatchesTheInterpreterWhenGrouped() throws {
    // Forward and backward of attention plus an MLP: long chains with slots the memory plan reuses.
    let builder = GraphBuilder(name: "block")
    let (batch, tokens, width) = (4, 32, 16)
    let x = builder.parameter(TensorType(.f32, [batch, tokens, width]), name: "x")
    let w = builder.parameter(TensorType(.f32, [width, 3 * width]), name: "w")
    let u = builder.parameter(TensorType(.f32, [width, width]), name: "u")
    let qkv = try builder.matmul(builder.layerNorm(x), builder.mul(w, builder.constant(0.25, like: w)))
    func part(_ index: Int) throws -> Value {
        try builder.slice(qkv, start: [0, 0, index * width], limit: [batch, tokens, (index + 1) * width])
    }
    let mixed = try builder.attention(query: part(0), key: part(1), value: part(2), heads: 2)
    let y = try builder.add(x, builder.matmul(builder.geluTanh(mixed), builder.mul(u, builder.constant(0.25, like: u))))
    let loss = try builder.reduce(.sum, builder.mul(y, builder.mul(y, builder.constant(1.0 / Double(batch * tokens), like: y))), over: [0, 1, 2])
    let graph = try Gradient.valueAndGrad(of: builder.build(returning: [loss]), wrt: ["x", "w", "u"]).optimized()
    let (executable, schedule) = try compiled(graph)
    #expect(executable.groups.contains { $0.steps.count >= 3 }, "\(executable.groups) of \(schedule.kernels.count) kernels")
    #expect(executable.groups.contains { !$0.scratch.isEmpty }, "the backward pass's temporaries live in per-slice scratch")
    let inputs = TestInputs.random(for: graph, seed: 13)
    expectMatches(try CPUTestDevice.shared().evaluate(executable, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: batch * tokens, "grouped training step")
}
