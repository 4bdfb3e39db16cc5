import Testing
@testable import KernelIR

@Test(arguments: PrimitiveCatalog.cases)
func scheduledPrimitiveMatchesTheGraph(_ example: PrimitiveCase) throws {
    let schedule = Fusion.schedule(example.graph)
    let inputs = example.inputs(seed: 2)
    #expect(try Interpreter().run(schedule, inputs: inputs) == (try Interpreter().run(example.graph, inputs: inputs)))
}

@Test(arguments: KernelLibrary.files)
func scheduledKernelFunctionMatchesTheGraph(_ file: String) throws {
    for graph in try KernelLibrary.module(file).functions {
        let schedule = Fusion.schedule(graph)
        let inputs = PrimitiveCase(name: graph.name, graph: graph, domain: .positive).inputs(seed: 4)
        #expect(try Interpreter().run(schedule, inputs: inputs) == (try Interpreter().run(graph, inputs: inputs)), "\(file) @\(graph.name)")
    }
}

@Test func linearIsOneContractionWithItsBiasEpilogue() throws {
    let graph = try #require(try KernelLibrary.module("linear.kir").functions.first)
    let schedule = Fusion.schedule(graph)
    #expect(schedule.kernels.count == 1)
    #expect(schedule.kernels[0].kind == .contraction)
    #expect(schedule.kernels[0].body.instructions.map(\.op.mnemonic) == ["matmul", "broadcast", "add"])
}

@Test func elementwiseChainsFuseIntoOneLoop() throws {
    let graph = try #require(try KernelLibrary.module("gelu_tanh.kir").functions.first)
    let schedule = Fusion.schedule(graph)
    #expect(schedule.kernels.count == 1)
    #expect(schedule.kernels[0].kind == .loop)
    #expect(schedule.kernels[0].inputs == [BufferID(index: 0)])
}

@Test func reductionsEndTheirLoopNests() throws {
    let graph = try #require(try KernelLibrary.module("mse_loss.kir").functions.first)
    let schedule = Fusion.schedule(graph)
    // sub and mul fuse into the reduction; the division by the count is a second, scalar kernel.
    #expect(schedule.kernels.map(\.kind) == [.reduction, .loop])
    #expect(schedule.kernels[0].body.instructions.map(\.op.mnemonic) == ["sub", "mul", "reduce_sum"])
}

/// A chain of `length` reductions: each intermediate dies as soon as the next one is computed.
private func reductionChain(length: Int) throws -> Graph {
    let builder = GraphBuilder(name: "chain")
    var x = builder.parameter(TensorType(.f32, [4, 4, 4, 4]), name: "x")
    for _ in 0..<length {
        let total = try builder.reduce(.sum, x, over: [0], keepingDimensions: true)
        x = try builder.exp(builder.broadcast(total, to: [4, 4, 4, 4]))
        x = try builder.mul(x, x)
    }
    return builder.build(returning: [x])
}

@Test func memoryPlanReusesBuffersOfDeadValues() throws {
    let graph = try reductionChain(length: 3)
    let schedule = Fusion.schedule(graph)
    #expect(schedule.peakBytes < MemoryPlan.unplannedBytes(of: schedule))
    let input = PrimitiveCase(name: "", graph: graph, domain: .signed).inputs(seed: 1)
    #expect(try Interpreter().run(schedule, inputs: input) == (try Interpreter().run(graph, inputs: input)))
}

@Test func scheduleTextSummarisesKernels() throws {
    let graph = try #require(try KernelLibrary.module("softmax.kir").functions.first)
    let text = Fusion.schedule(graph).text
    #expect(text.hasPrefix("schedule @softmax: "))
    #expect(text.contains("kernel #0 reduction"))
}

@Test func summedContractionsGetOneKernelEach() throws {
    let builder = GraphBuilder(name: "summed")
    let a = builder.parameter(TensorType(.f32, [2, 4]), name: "a"), b = builder.parameter(TensorType(.f32, [4, 3]), name: "b")
    let c = builder.parameter(TensorType(.f32, [2, 5]), name: "c"), d = builder.parameter(TensorType(.f32, [5, 3]), name: "d")
    let y = try builder.add(try builder.matmul(a, b), try builder.matmul(c, d))
    let graph = builder.build(returning: [y])
    let schedule = Fusion.schedule(graph)
    #expect(schedule.kernels.map(\.kind) == [.contraction, .contraction])
    for kernel in schedule.kernels {
        #expect(kernel.body.instructions.filter { $0.op == .matmul }.count == 1, "\(kernel.body.text)")
    }
    let inputs = PrimitiveCase(name: "summed", graph: graph, domain: .signed).inputs(seed: 1)
    #expect(try Interpreter().run(schedule, inputs: inputs) == (try Interpreter().run(graph, inputs: inputs)))
}

@Test func castToANarrowerDTypeIsNotAnInPlaceEpilogue() throws {
    let builder = GraphBuilder(name: "mixed")
    let a = builder.parameter(TensorType(.f32, [2, 4]), name: "a"), b = builder.parameter(TensorType(.f32, [4, 3]), name: "b")
    let y = try builder.cast(try builder.tanh(try builder.matmul(a, b)), to: .f16)
    let schedule = Fusion.schedule(builder.build(returning: [y]))
    #expect(schedule.kernels.map(\.kind) == [.contraction, .loop])
}

@Test func theGeluDerivativeIsOneKernelOverTheBuffersItReads() throws {
    // y = gelu(x) * g; the gradient of x is one elementwise expression of x and g, which autodiff
    // splits into pieces with several users each: all of them fold into the kernel that returns it.
    let builder = GraphBuilder(name: "gelu_gradient")
    let x = builder.parameter(TensorType(.f32, [4, 64]), name: "x")
    let g = builder.parameter(TensorType(.f32, [4, 64]), name: "g")
    let forward = builder.build(returning: [try builder.reduce(.sum, builder.mul(builder.geluTanh(x), g), over: [0, 1])])
    let graph = try Gradient.valueAndGrad(of: forward, wrt: ["x"]).optimized()
    let schedule = Fusion.schedule(graph)
    let gradient = try #require(schedule.kernels.last { $0.body.resultTypes[0] == TensorType(.f32, [4, 64]) })
    #expect(schedule.kernels.count { $0.body.resultTypes[0] == TensorType(.f32, [4, 64]) } == 1, "\(schedule.text)")
    #expect(Set(gradient.inputs) == [BufferID(index: 0), BufferID(index: 1)], "it reads x and g only")
    try expectSameResults(schedule, graph, seed: 5)
}

@Test func attentionProbabilitiesAreRecomputedForTheBackwardPassWhenAsked() throws {
    let builder = GraphBuilder(name: "attention_step")
    let q = builder.parameter(TensorType(.f32, [2, 16, 8]), name: "q")
    let k = builder.parameter(TensorType(.f32, [2, 16, 8]), name: "k")
    let v = builder.parameter(TensorType(.f32, [2, 16, 8]), name: "v")
    let mixed = try builder.attention(query: q, key: k, value: v, heads: 2)
    let forward = builder.build(returning: [try builder.reduce(.sum, builder.mul(mixed, mixed), over: [0, 1, 2])])
    let graph = try Gradient.valueAndGrad(of: forward, wrt: ["q", "k", "v"]).optimized()
    let plain = Fusion.schedule(graph)
    let recomputing = Fusion.schedule(graph, options: Fusion.Options(recomputesForDistantUsers: true))
    func recomputed(_ schedule: Schedule) -> [String] {
        schedule.kernels.flatMap { $0.body.instructions.filter { $0.name.hasSuffix("_again") }.map(\.op.mnemonic) }
    }
    #expect(recomputed(plain).isEmpty)
    #expect(recomputed(recomputing).contains("div"), "p = e / s again for the backward pass: \(recomputing.text)")
    try expectSameResults(recomputing, graph, seed: 6)
}

@Test func aProductReadOnlyTransposedIsComputedTransposedWhereViewsAreFree() throws {
    // The key gradient of attention: q^T dS read as [b, n, d] becomes dS^T q.
    let builder = GraphBuilder(name: "key_gradient")
    let q = builder.parameter(TensorType(.f32, [3, 12, 4]), name: "q")
    let scores = builder.parameter(TensorType(.f32, [3, 12, 12]), name: "scores")
    let gradient = try builder.matmul(builder.permute(q, [0, 2, 1]), scores)
    let graph = builder.build(returning: [try builder.exp(builder.permute(gradient, [0, 2, 1]))])
    let schedule = Fusion.schedule(graph, options: Fusion.Options(contractionsReadStridedOperands: true))
    let product = try #require(schedule.kernels.first { $0.kind == .contraction })
    #expect(product.body.resultTypes[0].shape == [3, 12, 4], "\(schedule.text)")
    #expect(Fusion.schedule(graph).kernels.first { $0.kind == .contraction }?.body.resultTypes[0].shape == [3, 4, 12])
    let inputs = PrimitiveCase(name: graph.name, graph: graph, domain: .positive).inputs(seed: 7)
    let got = try Interpreter().run(schedule, inputs: inputs)[0].scalars, want = try Interpreter().run(graph, inputs: inputs)[0].scalars
    #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
}

/// `schedule` run in the interpreter gives exactly what `graph` gives, on positive inputs from `seed`.
private func expectSameResults(_ schedule: Schedule, _ graph: Graph, seed: Int,
                               sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let inputs = PrimitiveCase(name: graph.name, graph: graph, domain: .positive).inputs(seed: seed)
    #expect(try Interpreter().run(schedule, inputs: inputs) == (try Interpreter().run(graph, inputs: inputs)), sourceLocation: sourceLocation)
}

/// The names of the `exp` instructions of every kernel of `file`'s first function that may be relaxed.
private func relaxedExponentials(of file: String) throws -> (relaxed: Set<String>, all: [String]) {
    let graph = try #require(try KernelLibrary.module(file).functions.first)
    let schedule = Fusion.schedule(graph)
    let exponentials = graph.instructions.filter { $0.op == .unary(.exp) }.map(\.name)
    return (schedule.kernels.reduce(into: []) { $0.formUnion($1.relaxedExponentials) }, exponentials)
}

@Test func softmaxExponentialsFeedingAProductMayBeRelaxed() throws {
    // Attention's probabilities over 16 keys, multiplied by the values: every exp is in a sum of 16.
    let builder = GraphBuilder(name: "attend")
    let scores = builder.parameter(TensorType(.f32, [2, 16, 16]), name: "scores")
    let values = builder.parameter(TensorType(.f32, [2, 16, 8]), name: "values")
    let graph = builder.build(returning: [try builder.matmul(builder.softmax(scores), values)])
    let schedule = Fusion.schedule(graph)
    let exponentials = Set(graph.instructions.filter { $0.op == .unary(.exp) }.map(\.name))
    #expect(!exponentials.isEmpty)
    #expect(schedule.kernels.reduce(into: Set<String>()) { $0.formUnion($1.relaxedExponentials) } == exponentials)
    let inputs = PrimitiveCase(name: "", graph: graph, domain: .signed).inputs(seed: 3)
    #expect(try Interpreter().run(schedule, inputs: inputs) == (try Interpreter().run(graph, inputs: inputs)))
}

@Test func exponentialsReachingResultsOrSinesStayExact() throws {
    // softmax.kir returns exp(x - max) / sum through a division: what the user reads stays exact.
    #expect(try relaxedExponentials(of: "softmax.kir").relaxed.isEmpty)
    // The timestep embedding's frequencies are scaled into a sine's argument.
    let (relaxed, all) = try relaxedExponentials(of: "timestep_embedding.kir")
    #expect(!all.isEmpty && relaxed.isEmpty)
}

@Test func onlySumsOfManyTermsEndTheNeedForExactness() throws {
    func relaxed(summing terms: Int, thenSine: Bool) throws -> Set<String> {
        let builder = GraphBuilder(name: "sums")
        let x = builder.parameter(TensorType(.f32, [2, terms]), name: "x")
        let total = try builder.reduce(.sum, builder.exp(x), over: [1], keepingDimensions: false)
        return ExponentialPrecision.relaxedExponentials(in: builder.build(returning: [thenSine ? try builder.unary(.sin, total) : total]))
    }
    #expect(try relaxed(summing: 16, thenSine: false).count == 1)
    #expect(try relaxed(summing: 16, thenSine: true).count == 1)
    #expect(try relaxed(summing: 4, thenSine: false).isEmpty)
    // A max passes one element through: its error is undiluted.
    let builder = GraphBuilder(name: "max")
    let x = builder.parameter(TensorType(.f32, [2, 16]), name: "x")
    let largest = try builder.reduce(.max, builder.exp(x), over: [1], keepingDimensions: false)
    #expect(ExponentialPrecision.relaxedExponentials(in: builder.build(returning: [largest])).isEmpty)
}

@Test func freedSlotsWaitTheReuseDistance() throws {
    let graph = try reductionChain(length: 8)
    // For each kernel writing a slot that last held a value of another size: how many kernels lie
    // between it and the slot's last access.
    func reuseGaps(_ schedule: Schedule) -> [Int] {
        var lastTouched: [BufferID: Int] = [:]
        var heldBytes: [BufferID: Int] = [:]
        var gaps: [Int] = []
        for (position, kernel) in schedule.kernels.enumerated() {
            let bytes = kernel.body.resultTypes[0].byteCount
            if let last = lastTouched[kernel.output], heldBytes[kernel.output] != bytes { gaps.append(position - last) }
            for buffer in kernel.inputs + [kernel.output] { lastTouched[buffer] = position }
            heldBytes[kernel.output] = bytes
        }
        return gaps
    }
    let tight = Fusion.schedule(graph)
    let spaced = Fusion.schedule(graph, options: Fusion.Options(slotReuseDistance: 4))
    #expect(reuseGaps(tight).contains { $0 <= 4 })
    #expect(reuseGaps(spaced).allSatisfy { $0 > 4 })
    #expect(spaced.peakBytes < MemoryPlan.unplannedBytes(of: spaced), "values of one size still share slots")
    let input = PrimitiveCase(name: "", graph: graph, domain: .signed).inputs(seed: 1)
    #expect(try Interpreter().run(spaced, inputs: input) == (try Interpreter().run(graph, inputs: input)))
}
