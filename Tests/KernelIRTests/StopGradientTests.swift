import Testing
@testable import KernelIR

// stop_gradient is the identity to every evaluator and a constant to differentiation; scheduling
// removes it, so no backend ever sees it.

private func heldProduct() throws -> Graph {
    // sum(stop_gradient(x) * x)
    let builder = GraphBuilder(name: "held")
    let x = builder.parameter(TensorType(.f32, [3]), name: "x")
    let product = try builder.mul(builder.stopGradient(x), x)
    return builder.build(returning: [try builder.reduce(.sum, product, over: [0])])
}

@Test func stopGradientIsTheIdentityButBlocksTheGradient() throws {
    let x = TensorValue(TensorType(.f32, [3]), scalars: [1, -2, 3])
    let results = try Interpreter().run(Gradient.valueAndGrad(of: heldProduct(), wrt: ["x"]), inputs: [x])
    #expect(results[0].scalars == [14])
    #expect(results[1].scalars == [1, -2, 3], "the held factor contributes no gradient: d/dx (c x) = c")
}

@Test func stopGradientRoundTripsThroughText() throws {
    let text = try heldProduct().text
    #expect(text.contains("stop_gradient(%x) : f32[3]"))
    #expect(try Module(parsing: text).functions[0].text == text)
}

@Test func schedulingRemovesStopGradient() throws {
    let schedule = Fusion.schedule(try heldProduct())
    #expect(!schedule.kernels.contains { kernel in kernel.body.instructions.contains { $0.op == .stopGradient } })
    let x = TensorValue(TensorType(.f32, [3]), scalars: [1, -2, 3])
    #expect(try Interpreter().run(schedule, inputs: [x])[0].scalars == [14])
}

@Test func softmaxGradientSkipsTheRowMaximum() throws {
    // The shift by the maximum cancels in softmax: its gradient path (a mask of the maximum and a
    // count of ties) is gone from the differentiated graph.
    let builder = GraphBuilder(name: "softmax_loss")
    let x = builder.parameter(TensorType(.f32, [4, 6]), name: "x")
    let y = try builder.softmax(x)
    let loss = try builder.reduce(.sum, builder.mul(y, y), over: [0, 1])
    let gradient = try Gradient.valueAndGrad(of: builder.build(returning: [loss]), wrt: ["x"]).optimized()
    #expect(!gradient.instructions.contains { $0.op == .compare(.eq) }, "\(gradient)")
}
