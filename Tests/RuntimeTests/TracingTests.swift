import Foundation
import Testing
@testable import Runtime

@Test func gradientsOfClosuresAndOfRecordedLosses() throws {
    let device = try testDevice()
    let x = try Tensor([1, -2, 3], shape: [3], on: device)
    let slope = grad { (inputs: [Tensor]) throws(RuntimeError) -> Tensor in try inputs[0].square().sum() }
    expectClose(try slope([x])[0].scalars, [2, -4, 6])

    let w = try Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2], on: device)
    let inputs = try Tensor([1, 0, 2, 1, 1, 1], shape: [2, 3], on: device)
    let hidden = try inputs.matmul(w)
    let loss = try hidden.sum()
    let (value, gradients) = try valueAndGrad(loss, wrt: [w, x])
    #expect(try value.item == 11 + 14 + 9 + 12)
    // d(sum(A W))/dW = A^T 1: row i is the sum of column i of A, repeated.
    expectClose(try gradients[0].scalars, [2, 2, 1, 1, 3, 3])
    expectClose(try gradients[1].scalars, [0, 0, 0])
    // With respect to an intermediate, the gradient stops there: nothing reaches w through it.
    let throughHidden = try grad(loss, wrt: [hidden, w])
    expectClose(try throughHidden[0].scalars, [1, 1, 1, 1])
    expectClose(try throughHidden[1].scalars, [0, 0, 0, 0, 0, 0])
}

@Test func gradientsFlowThroughEvaluatedTensors() throws {
    let device = try testDevice()
    let x = try Tensor([0.5, 1.5], shape: [2], on: device)
    let y = try x.exp()
    _ = try y.scalars
    expectClose(try grad(y.sum(), wrt: [x])[0].scalars, [0.5, 1.5].map { (v: Double) -> Double in Foundation.exp(v) })
}

@Test func compiledFunctionTracesOnceAndKeepsStateOnTheDevice() throws {
    let device = try testDevice()
    let step = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
        let (w, x, y) = (inputs[0], inputs[1], inputs[2])
        let loss = try (x.matmul(w) - y).square().mean()
        return [loss, try w - 0.1 * grad(loss, wrt: [w])[0]]
    }
    var w = Tensor.zeros([2, 1], on: device)
    let x = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2], on: device)
    let y = try Tensor([1, 2, 3], shape: [3, 1], on: device)
    _ = try step([w, x, y])
    var losses: [Tensor] = []
    let ((), counters) = try RuntimeCounters.counting { () throws(RuntimeError) in
        for _ in 0..<10 {
            let outputs = try step([w, x, y])
            losses.append(outputs[0])
            w = outputs[1]
        }
    }
    #expect(counters.traces == 0 && counters.compileRequests == 0, "\(counters)")
    #expect(counters.hostToDeviceTransfers == 0 && counters.deviceToHostTransfers == 0, "\(counters)")
    #expect(counters.launches == 10, "\(counters)")
    #expect(step.signatureCount == 1)
    let values = try losses.map { (loss: Tensor) throws(RuntimeError) -> Double in try loss.item }
    #expect(zip(values, values.dropFirst()).allSatisfy { $1 < $0 }, "\(values)")
}

@Test func compiledFunctionRetracesOnlyForNewShapes() throws {
    let device = try testDevice()
    let double = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in [try inputs[0] * 2, inputs[0]] }
    let (outputs, counters) = try RuntimeCounters.counting { () throws(RuntimeError) -> [[Double]] in
        var results: [[Double]] = []
        for count in [2, 2, 3, 2] {
            let out = try double([Tensor(Array(repeating: 1.5, count: count), shape: [count], on: device)])
            results.append(try out[0].scalars + out[1].scalars)
        }
        return results
    }
    #expect(outputs[2] == [3, 3, 3, 1.5, 1.5, 1.5])
    #expect(counters.traces == 2, "\(counters)")
    #expect(double.signatureCount == 2)
}

@Test func readingAValueWhileTracingIsATypedError() throws {
    let device = try testDevice()
    let peek = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
        _ = try inputs[0].sum().item
        return inputs
    }
    let error = #expect(throws: RuntimeError.self) { try peek([Tensor.ones([2], on: device)]) }
    #expect(error == .readDuringTracing(TensorType(.f32, [2])))
    #expect(error?.description == "cannot read a value that depends on a f32[2] placeholder while a function is traced; "
        + "return the tensor from the compiled function and read it from the result")
}

@Test(arguments: [
    ShapeErrorCase(name: "matmul inner dimensions", message: "matmul of (f32[2, 3], f32[2, 3]): "
                   + "needs a right operand with 3 rows to match the left operand [2, 3], got [2, 3]") { a, _ throws(RuntimeError) in
        try a.matmul(a)
    },
    ShapeErrorCase(name: "broadcast", message: "+: shapes [2, 3] and [2] do not broadcast: aligned from the right, dimension 1 is 3 "
                   + "in one and 2 in the other; reshape one of them") { a, b throws(RuntimeError) in
        try a + b
    },
    ShapeErrorCase(name: "dtype", message: "*: operands f32[2, 3] and i32[2, 3] differ in dtype; convert one with asType(.f32) or asType(.i32)") { a, _ throws(RuntimeError) in
        try a * a.asType(.i32)
    },
    ShapeErrorCase(name: "reshape", message: "reshaped([4, -1]): [2, 3] holds 6 elements, not a multiple of 4") { a, _ throws(RuntimeError) in
        try a.reshaped([4, -1])
    },
    ShapeErrorCase(name: "grad of a vector", message: "grad: the loss must be a floating-point scalar, got f32[2, 3]; "
                   + "reduce it first, e.g. with sum() or mean()") { a, _ throws(RuntimeError) in
        try grad(a, wrt: [a])[0]
    },
])
func badTensorOperationsNameTheShapes(_ example: ShapeErrorCase) throws {
    let device = try testDevice()
    let a = Tensor.ones([2, 3], on: device)
    let b = Tensor.ones([2], on: device)
    let error = #expect(throws: RuntimeError.self) { try example.operation(a, b) }
    #expect(error?.description == example.message)
}

/// A tensor operation that must fail, with the message it must give.
struct ShapeErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let message: String
    let operation: @Sendable (Tensor, Tensor) throws(RuntimeError) -> Tensor
    var testDescription: String { name }
}


@Test func kernelLibraryFunctionsAreCallableOnTensors() throws {
    let device = try testDevice()
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Kernels/softmax.kir")
    let module = try Module(parsing: String(contentsOf: url, encoding: .utf8))
    let softmax = try #require(module.function(named: "softmax"))
    let x = try Tensor.normal([3, 4], seed: 9, on: device)
    let viaFile = try Tensor.call(softmax, [x])[0]
    expectClose(try viaFile.scalars, try x.softmax().scalars)
    let error = #expect(throws: RuntimeError.self) { try Tensor.call(softmax, [Tensor.zeros([4], on: device)]) }
    #expect(error?.description == "@softmax: takes (f32[3, 4]), got (f32[4])")
}

@Test func patchifyIsInvertedByUnpatchify() throws {
    let device = try testDevice()
    let clip = try Tensor.uniform([2, 4, 8, 8, 3], seed: 4, on: device)
    let patches = try clip.patchified(patch: (2, 4, 4))
    #expect(patches.shape == [2, 8, 96])
    #expect(try patches.unpatchified(clip: clip.shape, patch: (2, 4, 4)).scalars == clip.scalars)
    let error = #expect(throws: RuntimeError.self) { try clip.patchified(patch: (3, 4, 4)) }
    #expect(error?.description == "patchified: needs a [B, T, H, W, C] clip whose T, H and W the patch (3, 4, 4) divides, got f32[2, 4, 8, 8, 3]")
}

@Test func convolutionGradientsAndTheBlockComposite() throws {
    let device = try testDevice()
    let x = try Tensor.normal([1, 2, 4, 4, 2], seed: 1, on: device)
    let filter = try Tensor.normal([1, 3, 3, 2, 3], seed: 2, on: device)
    let y = try x.convolution(filter, padding: [0, 1, 1])
    #expect(y.shape == [1, 2, 4, 4, 3])
    let bias = Tensor.zeros([3], on: device)
    expectClose(try x.convolutionBlock(filter: filter, bias: bias, .init(stride: [1, 1, 1], paddingLow: [0, 1, 1],
                                                                        paddingHigh: [0, 1, 1], dilation: [1, 1, 1])).scalars,
                try y.silu().scalars)
    // d(sum(conv(x, f)))/df at one tap is the sum of the inputs that tap sees; check it against a finite difference.
    let gradient = try grad(y.sum(), wrt: [filter])[0].scalars
    var bumped = try filter.scalars
    bumped[0] += 1e-2
    let shifted = try x.convolution(Tensor(bumped, shape: filter.shape, on: device), padding: [0, 1, 1]).sum().item
    let estimate = (shifted - (try y.sum().item)) / 1e-2
    #expect(Swift.abs(gradient[0] - estimate) < 1e-2 * Swift.max(1, Swift.abs(estimate)), "\(gradient[0]) vs \(estimate)")
}

@Test func designSnippetOptimizerInsideACompiledClosure() throws {
    let device = try testDevice()
    let optimizer = AdamW(learningRate: 0.05)
    let w = try Tensor([0.5, -0.5], shape: [2, 1], on: device)
    var state = try optimizer.initialState(for: [w])
    // (w, state..., x, y) -> (loss, w', state'...): the whole step in one function.
    let step = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
        let params = [inputs[0]]
        let state = try OptimizerState(tensors: Array(inputs[1..<4]), parameterCount: 1, slotCount: 2)
        let loss = try (inputs[4].matmul(params[0]) - inputs[5]).square().mean()
        let (updated, next) = try optimizer.update(params, gradients: grad(loss, wrt: params), state: state)
        return [loss] + updated + next.tensors
    }
    let x = try Tensor([1, 2, 3, 4], shape: [2, 2], on: device), y = try Tensor([1, 1], shape: [2, 1], on: device)
    var parameters = [w]
    var losses: [Double] = []
    for _ in 0..<30 {
        let outputs = try step(parameters + state.tensors + [x, y])
        losses.append(try outputs[0].item)
        parameters = [outputs[1]]
        state = try OptimizerState(tensors: Array(outputs[2...]), parameterCount: 1, slotCount: 2)
    }
    #expect(try state.step.item == 30)
    #expect(losses[29] < 0.2 * losses[0], "\(losses)")
    #expect(step.signatureCount == 1)
}

@Test func resultsThatSimplifyToInputsOrRepeatStillComeBack() throws {
    let device = try testDevice()
    let function = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
        let same = try inputs[0] * 1
        return [same, inputs[1], same, try inputs[1] + 0, Tensor.zeros([2], on: inputs[0].device)]
    }
    let a = try Tensor([1, 2], shape: [2], on: device), b = try Tensor([3, 4], shape: [2], on: device)
    let outputs = try function([a, b])
    #expect(try outputs.map { (tensor: Tensor) throws(RuntimeError) -> [Double] in try tensor.scalars } == [[1, 2], [3, 4], [1, 2], [3, 4], [0, 0]])
    #expect(try (a * 1).scalars == [1, 2])
}

@Test func noGradientFlowsThroughAValueWithoutGradient() throws {
    let device = try testDevice()
    let x = try Tensor([1, -2, 3], shape: [3], on: device)
    // d/dx sum(c * x) with c = x held constant is c = x, not the 2x of sum(x * x).
    let slope = grad { (inputs: [Tensor]) throws(RuntimeError) -> Tensor in try (inputs[0].withoutGradient() * inputs[0]).sum() }
    expectClose(try slope([x])[0].scalars, [1, -2, 3])
    expectClose(try x.withoutGradient().scalars, [1, -2, 3])
}
