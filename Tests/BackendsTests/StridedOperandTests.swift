import KernelIR
import Testing
@testable import Backends

// Views of buffers feeding a matmul (head-split attention layouts, flattened batches, transposes)
// reach OpenBLAS through strides, in the contraction's own kernel, and match the interpreter.

private func expectOneKernelMatching(_ graph: Graph, layouts: (left: Bool, right: Bool), _ comment: String,
                                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let device = try CPUTestDevice.shared()
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    #expect(schedule.kernels.count == 1, "\(comment): the views are copied: \(schedule.text)", sourceLocation: sourceLocation)
    let parts = try #require(schedule.kernels.first?.contractionParts)
    #expect(parts.operandLayouts.map(\.isContiguous) == [!layouts.left, !layouts.right], "\(comment) \(parts.operandLayouts)", sourceLocation: sourceLocation)
    let inputs = TestInputs.random(for: graph, seed: 6)
    expectMatches(try device.evaluate(schedule, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: Tolerance.reductionLength(of: graph), comment, sourceLocation: sourceLocation)
}

@Test func headSplitAttentionOperandsAreReadInPlace() throws {
    // q, k: [batch, tokens, heads, head dim]; scores = q_h k_h^T per batch and head.
    let builder = GraphBuilder(name: "scores")
    let q = builder.parameter(TensorType(.f32, [2, 40, 3, 16]), name: "q")
    let k = builder.parameter(TensorType(.f32, [2, 40, 3, 16]), name: "k")
    let scores = try builder.matmul(builder.permute(q, [0, 2, 1, 3]), builder.permute(k, [0, 2, 3, 1]))
    try expectOneKernelMatching(builder.build(returning: [scores]), layouts: (true, true), "q_h k_h^T")
}

@Test func probabilitiesTimesHeadSplitValues() throws {
    let builder = GraphBuilder(name: "mix")
    let p = builder.parameter(TensorType(.f32, [2, 3, 40, 40]), name: "p")
    let v = builder.parameter(TensorType(.f32, [2, 40, 3, 16]), name: "v")
    let mixed = try builder.matmul(p, builder.permute(v, [0, 2, 1, 3]))
    try expectOneKernelMatching(builder.build(returning: [mixed]), layouts: (false, true), "p v_h")
}

@Test func weightGradientOfAFlattenedBatchIsOneProduct() throws {
    // x^T dy over every token of every sample: [b, n, d] flattened to [b n, d], then transposed.
    let builder = GraphBuilder(name: "weight_gradient")
    let x = builder.parameter(TensorType(.f32, [4, 30, 24]), name: "x")
    let dy = builder.parameter(TensorType(.f32, [4, 30, 20]), name: "dy")
    let gradient = try builder.matmul(builder.permute(builder.reshape(x, to: [120, 24]), [1, 0]), builder.reshape(dy, to: [120, 20]))
    try expectOneKernelMatching(builder.build(returning: [gradient]), layouts: (true, false), "x^T dy")
}

@Test func aViewWithoutAUnitStrideIsCopied() throws {
    // Swapping the batch and column axes leaves the matrices with no unit stride: BLAS cannot read it.
    let builder = GraphBuilder(name: "copied")
    let a = builder.parameter(TensorType(.f32, [5, 6, 3]), name: "a")
    let b = builder.parameter(TensorType(.f32, [3, 5, 4]), name: "b")
    let graph = builder.build(returning: [try builder.matmul(builder.permute(a, [2, 1, 0]), b)])
    let device = try CPUTestDevice.shared()
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    #expect(schedule.kernels.count == 2, "\(schedule.text)")
    let inputs = TestInputs.random(for: graph, seed: 7)
    expectMatches(try device.evaluate(schedule, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: Tolerance.reductionLength(of: graph), "copied view")
}

@Test func viewsWithAnAxisOfOneReachBLASWithLegalLeadingDimensions() throws {
    // x^T dy for x of one feature (a [64, 1] column seen as a [1, 64] row), and w^T for a single output.
    let builder = GraphBuilder(name: "thin")
    let x = builder.parameter(TensorType(.f32, [64, 1]), name: "x")
    let dy = builder.parameter(TensorType(.f32, [64, 32]), name: "dy")
    let w = builder.parameter(TensorType(.f32, [32, 1]), name: "w")
    let weightGradient = try builder.matmul(builder.permute(x, [1, 0]), dy)
    let backward = try builder.matmul(dy, w)
    let rowTimesColumn = try builder.matmul(builder.permute(w, [1, 0]), builder.permute(dy, [1, 0]))
    let graph = builder.build(returning: [weightGradient, backward, rowTimesColumn])
    let device = try CPUTestDevice.shared()
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    let inputs = TestInputs.random(for: graph, seed: 8)
    expectMatches(try device.evaluate(schedule, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: 64, "one-row and one-column views")
}

@Test func theThirdsOfOneProjectionAreReadInPlace() throws {
    // q, k and v as slices of one [batch, tokens, 3 d] projection, split into heads: read through an
    // offset into the projection's buffer, not copied out of it.
    let builder = GraphBuilder(name: "qkv_scores")
    let qkv = builder.parameter(TensorType(.f32, [2, 40, 48]), name: "qkv")
    func head(_ third: Int, _ permutation: [Int]) throws -> Value {
        let part = try builder.slice(qkv, start: [0, 0, 16 * third], limit: [2, 40, 16 * third + 16])
        return try builder.permute(builder.reshape(part, to: [2, 40, 2, 8]), permutation)
    }
    let scores = try builder.matmul(head(0, [0, 2, 1, 3]), head(1, [0, 2, 3, 1]))
    try expectOneKernelMatching(builder.build(returning: [scores]), layouts: (true, true), "q_h k_h^T from one projection")
}

@Test func aBatchSlicedOutOfABufferIsOneProductFromAnOffset() throws {
    // The last two of four samples times a weight: row-major from an offset, so one flattened product.
    let builder = GraphBuilder(name: "later_samples")
    let x = builder.parameter(TensorType(.f32, [4, 30, 24]), name: "x")
    let w = builder.parameter(TensorType(.f32, [24, 20]), name: "w")
    let product = try builder.matmul(builder.slice(x, start: [2, 0, 0], limit: [4, 30, 24]), w)
    try expectOneKernelMatching(builder.build(returning: [product]), layouts: (true, false), "x[2...] w")
}
