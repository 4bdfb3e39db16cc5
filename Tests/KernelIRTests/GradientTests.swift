import Testing
@testable import KernelIR

/// Primitive cases with a floating first result and at least one floating parameter.
let differentiableCases = PrimitiveCatalog.cases.filter { example in
    let graph = example.graph
    return graph.type(of: graph.results[0]).dtype.isFloatingPoint && graph.parameters.contains { $0.type.dtype.isFloatingPoint }
}

@Test(arguments: differentiableCases)
func vjpRuleMatchesFiniteDifferences(_ example: PrimitiveCase) throws {
    let (error, detail) = try GradientCheck.worstError(of: example.graph, inputs: example.inputs(seed: 3))
    #expect(error == 0, "\(detail)")
}

@Test func convolutionGradientsCoverStrideDilationPaddingAndGroups() throws {
    let shapes: [(input: Shape, filter: Shape, Convolution)] = [
        ([2, 7, 3], [3, 3, 2], Convolution(stride: [2], paddingLow: [2], paddingHigh: [0], dilation: [1])),
        ([1, 9, 2], [2, 2, 4], Convolution(stride: [3], paddingLow: [0], paddingHigh: [1], dilation: [2])),
        ([1, 5, 6, 4], [3, 2, 2, 4], Convolution(stride: [2, 1], paddingLow: [1, 3], paddingHigh: [2, 0], dilation: [1, 2], groups: 2)),
        ([1, 3, 4, 5, 2], [2, 3, 2, 2, 3], Convolution(stride: [1, 2, 2], paddingLow: [0, 1, 1], paddingHigh: [1, 1, 0], dilation: [2, 1, 1])),
    ]
    for (inputShape, filterShape, attributes) in shapes {
        let builder = GraphBuilder(name: "conv")
        let x = builder.parameter(TensorType(.f32, inputShape), name: "x")
        let w = builder.parameter(TensorType(.f32, filterShape), name: "w")
        let graph = builder.build(returning: [try builder.convolution(x, w, attributes)])
        let example = PrimitiveCase(name: "conv", graph: graph, domain: .signed)
        let (error, detail) = try GradientCheck.worstError(of: graph, inputs: example.inputs(seed: 5))
        #expect(error == 0, "\(inputShape) * \(filterShape): \(detail)")
    }
}

@Test func reduceMaxSplitsTiesEvenlyAndBinaryMaxSendsTiesToTheFirstOperand() throws {
    let builder = GraphBuilder(name: "ties")
    let x = builder.parameter(TensorType(.f32, [4]), name: "x")
    let peak = try builder.reduce(.max, x, over: [0])
    let graph = builder.build(returning: [peak])
    let gradient = try Interpreter().run(Gradient.valueAndGrad(of: graph, wrt: ["x"]), inputs: [TensorValue(TensorType(.f32, [4]), scalars: [3, 1, 3, 2])])
    #expect(gradient[1].scalars == [0.5, 0, 0.5, 0])

    let pair = GraphBuilder(name: "pair")
    let a = pair.parameter(TensorType(.f32, []), name: "a"), b = pair.parameter(TensorType(.f32, []), name: "b")
    let maxGraph = pair.build(returning: [try pair.max(a, b)])
    let one = TensorValue(TensorType(.f32, []), scalars: [1])
    let grads = try Interpreter().run(Gradient.valueAndGrad(of: maxGraph, wrt: ["a", "b"]), inputs: [one, one])
    #expect(grads[1].scalars == [1] && grads[2].scalars == [0])
}

@Test func unusedParametersGetZeroGradients() throws {
    let builder = GraphBuilder(name: "unused")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    _ = builder.parameter(TensorType(.f32, [3]), name: "unused")
    let graph = builder.build(returning: [try builder.reduce(.sum, builder.mul(x, x), over: [0])])
    let outputs = try Interpreter().run(Gradient.valueAndGrad(of: graph, wrt: ["x", "unused"]),
                                        inputs: [TensorValue(TensorType(.f32, [2]), scalars: [1, -2]), TensorValue(repeating: 1, TensorType(.f32, [3]))])
    #expect(outputs[0].scalars == [5])
    #expect(outputs[1].scalars == [2, -4])
    #expect(outputs[2].scalars == [0, 0, 0])
}

@Test func vjpTakesACotangent() throws {
    let builder = GraphBuilder(name: "square")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    let graph = builder.build(returning: [try builder.mul(x, x)])
    let vjp = try Gradient.vjp(of: graph, wrt: ["x"])
    let outputs = try Interpreter().run(vjp, inputs: [TensorValue(TensorType(.f32, [2]), scalars: [3, 4]),
                                                      TensorValue(TensorType(.f32, [2]), scalars: [1, 10])])
    #expect(outputs[1].scalars == [6, 80])
}

@Test func gradientsOfNonFloatingThingsAreClearErrors() throws {
    let builder = GraphBuilder(name: "f")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    let i = builder.parameter(TensorType(.i32, [2]), name: "i")
    let sum = try builder.reduce(.sum, x, over: [0])
    let graph = builder.build(returning: [sum, i])
    #expect(throws: KIRError.notDifferentiable("%i is i32[2]; only floating-point parameters have gradients")) {
        try Gradient.valueAndGrad(of: graph, wrt: ["i"])
    }
    #expect(throws: KIRError.notDifferentiable("@f has no parameter %y; its parameters are %x, %i")) {
        try Gradient.valueAndGrad(of: graph, wrt: ["y"])
    }
    let vector = GraphBuilder(name: "v")
    let v = vector.parameter(TensorType(.f32, [2]), name: "v")
    let error = #expect(throws: KIRError.self) { try Gradient.valueAndGrad(of: vector.build(returning: [v]), wrt: ["v"]) }
    #expect(error?.description == "not differentiable: @v's first result is f32[2]; valueAndGrad needs a floating-point scalar, use vjp for other results")
    let counts = GraphBuilder(name: "counts")
    let c = counts.parameter(TensorType(.i32, [2]), name: "c")
    let total = try counts.reduce(.sum, c, over: [0])
    #expect(throws: KIRError.self) { try Gradient.valueAndGrad(of: counts.build(returning: [total]), wrt: ["c"]) }
}
