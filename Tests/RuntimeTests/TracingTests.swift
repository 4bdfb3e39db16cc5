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

