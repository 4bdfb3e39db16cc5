import Testing
@testable import KernelIR

/// A name- and order-independent fingerprint of each result's expression tree, with constants
/// compared after rounding to their dtype: two graphs with equal fingerprints compute the same
/// program, op for op.
func expressionFingerprints(of graph: Graph) -> [String] {
    var fingerprints: [String] = graph.parameters.indices.map { "p\($0)" }
    for instruction in graph.instructions {
        var op = instruction.op
        if case let .constant(literal, type) = op {
            let rounded: Literal = switch literal {
            case let .splat(value): .splat(type.dtype.converting(value))
            case let .elements(values): .elements(values.map(type.dtype.converting))
            }
            op = .constant(rounded, type: type)
        }
        let operands = instruction.operands.map { fingerprints[$0.index] }.joined(separator: ", ")
        fingerprints.append("\(op.mnemonic)\(op.attributes.map { "\($0.name)=\($0.value)" })(\(operands)):\(instruction.type)")
    }
    return graph.results.map { fingerprints[$0.index] }
}

/// Each kernel function, rebuilt by its builder composite at the file's parameter types.
let compositeBuilders: [(file: String, function: String, build: @Sendable (GraphBuilder, [Value]) throws(KIRError) -> [Value])] = [
    ("linear.kir", "linear", { b, p throws(KIRError) in [try b.linear(p[0], weight: p[1], bias: p[2])] }),
    ("silu.kir", "silu", { b, p throws(KIRError) in [try b.silu(p[0])] }),
    ("gelu_tanh.kir", "gelu_tanh", { b, p throws(KIRError) in [try b.geluTanh(p[0])] }),
    ("softmax.kir", "softmax", { b, p throws(KIRError) in [try b.softmax(p[0])] }),
    ("layernorm.kir", "layernorm", { b, p throws(KIRError) in [try b.layerNorm(p[0])] }),
    ("adaln_modulate.kir", "adaln_modulate", { b, p throws(KIRError) in [try b.modulate(b.layerNorm(p[0]), shift: p[1], scale: p[2])] }),
    ("attention.kir", "attention", { b, p throws(KIRError) in [try b.attention(query: p[0], key: p[1], value: p[2], heads: 2)] }),
    ("attention.kir", "attention_single_key", { b, p throws(KIRError) in [try b.attention(query: p[0], key: p[1], value: p[2], heads: 2)] }),
    ("patchify.kir", "patchify", { b, p throws(KIRError) in [try b.patchify(p[0], patch: (2, 4, 4))] }),
    ("unpatchify.kir", "unpatchify", { b, p throws(KIRError) in [try b.unpatchify(p[0], clip: [2, 4, 8, 8, 3], patch: (2, 4, 4))] }),
    ("timestep_embedding.kir", "timestep_embedding", { b, p throws(KIRError) in [try b.timestepEmbedding(p[0])] }),
    ("mse_loss.kir", "mse_loss", { b, p throws(KIRError) in [try b.mseLoss(p[0], p[1])] }),
    ("adamw.kir", "adamw", { b, p throws(KIRError) in
        let step = try b.adamW(parameter: p[0], gradient: p[1], firstMoment: p[2], secondMoment: p[3],
                               learningRate: p[4], weightDecay: p[5], biasCorrection1: p[6], biasCorrection2: p[7])
        return [step.parameter, step.firstMoment, step.secondMoment]
    }),
    ("conv3d_block.kir", "conv3d_block", { b, p throws(KIRError) in
        [try b.convolutionBlock(p[0], filter: p[1], bias: p[2],
                                Convolution(stride: [1, 1, 1], paddingLow: [1, 1, 1], paddingHigh: [1, 1, 1], dilation: [1, 1, 1]))]
    }),
]

@Test(arguments: compositeBuilders.indices)
func builderCompositeIsTheKernelFunction(_ index: Int) throws {
    let entry = compositeBuilders[index]
    let kernel = try #require(try KernelLibrary.module(entry.file).function(named: entry.function))
    let builder = GraphBuilder(name: entry.function)
    let parameters = kernel.parameters.map { builder.parameter($0.type, name: $0.name) }
    let composite = builder.build(returning: try entry.build(builder, parameters))
    #expect(expressionFingerprints(of: composite) == expressionFingerprints(of: kernel), "\(entry.file) @\(entry.function)")
}

@Test(arguments: KernelLibrary.files)
func kernelFunctionGradientsMatchFiniteDifferences(_ file: String) throws {
    for graph in try KernelLibrary.module(file).functions {
        guard graph.type(of: graph.results[0]).dtype.isFloatingPoint else { continue }
        let example = PrimitiveCase(name: graph.name, graph: graph, domain: .positive)
        let (error, detail) = try GradientCheck.worstError(of: graph, inputs: example.inputs(seed: 11), elementsPerParameter: 16)
        #expect(error == 0, "\(file) @\(graph.name): \(detail)")
    }
}

@Test func inliningACallRunsTheCallee() throws {
    let softmax = try #require(try KernelLibrary.module("softmax.kir").functions.first)
    let builder = GraphBuilder(name: "caller")
    let x = builder.parameter(softmax.parameters[0].type, name: "x")
    let doubled = try builder.add(x, x)
    let inlined = try builder.inline(softmax, arguments: [doubled])
    let caller = builder.build(returning: inlined)
    let input = PrimitiveCase(name: "", graph: caller, domain: .signed).inputs(seed: 1)
    let direct = try Interpreter().run(softmax, inputs: [TensorValue(input[0].type, scalars: input[0].scalars.map { $0 * 2 })])
    #expect(try Interpreter().run(caller, inputs: input) == direct)
    #expect(throws: KIRError.self) { try builder.inline(softmax, arguments: []) }
}
