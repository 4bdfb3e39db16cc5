import Foundation
import Testing
@testable import KernelIR
@testable import Runtime

/// The device the Tensor API tests run on.
func testDevice() throws -> any Device { try Runtime.device("cpu:0") }

func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-5,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(actual) vs \(expected)", sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(Swift.abs(a - e) <= tolerance * Swift.max(1, Swift.abs(e)), "\(actual) vs \(expected)", sourceLocation: sourceLocation)
    }
}

@Test func arithmeticBroadcastsLikeNumpy() throws {
    let device = try testDevice()
    let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: device)
    let b = try Tensor([10, 20, 30], shape: [3], on: device)
    expectClose(try (x + b).scalars, [11, 22, 33, 14, 25, 36])
    expectClose(try (1 - x * 2).scalars, [-1, -3, -5, -7, -9, -11])
    expectClose(try (x / b).scalars, [0.1, 0.1, 0.1, 0.4, 0.25, 0.2])
    let column = try Tensor([1, 2], shape: [2, 1], on: device)
    expectClose(try (column * b).scalars, [10, 20, 30, 20, 40, 60])
    expectClose(try (-x).maximum(-3).scalars, [-1, -2, -3, -3, -3, -3])
    expectClose(try x.pow(2).sum().scalars, [91])
    expectClose(try x.mean(axes: [1]).scalars, [2, 5])
    expectClose(try x.max(axes: [0], keepingDimensions: true).scalars, [4, 5, 6])
    #expect(try x.sum(axes: [-1], keepingDimensions: true).shape == [2, 1])
}

@Test func comparisonsSelectAndCasts() throws {
    let device = try testDevice()
    let x = try Tensor([-2, -1, 0, 1, 2, 3], shape: [6], on: device)
    let positive = try x .> 0
    #expect(positive.dtype == .bool)
    expectClose(try Tensor.select(positive, x, Tensor(0, on: device)).scalars, [0, 0, 0, 1, 2, 3])
    expectClose(try x.asType(.i32).asType(.f32).scalars, [-2, -1, 0, 1, 2, 3])
    #expect(try Tensor([1, Double.infinity], shape: [2], on: device).allFinite().item == 0)
    #expect(try x.allFinite().item == 1)
}

@Test func shapeOperationsMoveData() throws {
    let device = try testDevice()
    let x = try Tensor((0..<24).map(Double.init), shape: [2, 3, 4], on: device)
    #expect(try x.reshaped([6, -1]).shape == [6, 4])
    expectClose(try x.transposed([2, 0, 1]).sliced(start: [1, 0, 0], limit: [2, 1, 3]).scalars, [1, 5, 9])
    expectClose(try x.sliced(1..<2, along: 0).sliced(2..<4, along: -1).sum().scalars, [14 + 15 + 18 + 19 + 22 + 23])
    let parts = try x.split(parts: 2, axis: -1)
    #expect(parts.map(\.shape) == [[2, 3, 2], [2, 3, 2]])
    expectClose(try Tensor.concatenated(parts.reversed(), axis: 2).sliced(start: [0, 0, 0], limit: [1, 1, 4]).scalars, [2, 3, 0, 1])
    expectClose(try x.sliced(start: [0, 0, 0], limit: [1, 1, 2]).padded(low: [0, 0, 1], high: [0, 0, 1], value: 9).scalars, [9, 0, 1, 9])
    expectClose(try x.sliced(start: [0, 0, 0], limit: [1, 1, 3]).reversed(axes: [2]).scalars, [2, 1, 0])
    #expect(try x.expandedDimensions(axis: 1).shape == [2, 1, 3, 4])
    #expect(try x.sliced(0..<1, along: 0).squeezed(axis: 0).shape == [3, 4])
}

@Test func matmulAndCompositesComputeTheirDefinitions() throws {
    let device = try testDevice()
    let a = try Tensor([1, 2, 3, 4], shape: [2, 2], on: device)
    let b = try Tensor([5, 6, 7, 8], shape: [2, 2], on: device)
    expectClose(try a.matmul(b).scalars, [19, 22, 43, 50])
    expectClose(try a.transposed().scalars, [1, 3, 2, 4])
    let e1: Double = Foundation.exp(1.0), e2: Double = Foundation.exp(2.0)
    let low1: Double = 1 / (1 + e1), high1: Double = e1 / (1 + e1)
    let low2: Double = 1 / (1 + e2), high2: Double = e2 / (1 + e2)
    expectClose(try a.softmax().scalars, [low1, high1, low1, high1])
    expectClose(try a.softmax(axis: 0).scalars, [low2, low2, high2, high2])
    let normalized = try a.layerNorm(epsilon: 0).scalars
    expectClose(normalized, [-1, 1, -1, 1])
    let silu: [Double] = [1.0, 2, 3, 4].map { (x: Double) -> Double in x / (1 + Foundation.exp(-x)) }
    expectClose(try a.silu().scalars, silu)
    expectClose(try Tensor.mseLoss(a, b).scalars, [16])
}

@Test func creationRecipesRunOnTheDevice() throws {
    let device = try testDevice()
    expectClose(try Tensor.zeros([2, 2], on: device).scalars, [0, 0, 0, 0])
    expectClose(try Tensor.full([3], value: 2.5, on: device).scalars, [2.5, 2.5, 2.5])
    expectClose(try Tensor.arange(4, on: device).asType(.f32).scalars, [0, 1, 2, 3])
    let noise = try Tensor.normal([4096], seed: 7, on: device)
    let mean = try noise.mean().item, variance = try noise.square().mean().item
    #expect(Swift.abs(mean) < 0.1 && Swift.abs(variance - 1) < 0.1, "mean \(mean) variance \(variance)")
    #expect(try noise.scalars == Tensor.normal([4096], seed: 7, on: device).scalars)
    #expect(try Tensor(3, on: device).item == 3)
}

@Test func reusedGraphsAreCompileCacheHits() throws {
    let device = try testDevice()
    func compute(_ values: [Double]) throws(RuntimeError) -> Double {
        try (Tensor(values, shape: [3], on: device).exp() * 3).sum().item
    }
    _ = try compute([1, 2, 3])
    let (value, counters) = try RuntimeCounters.counting { () throws(RuntimeError) in try compute([0, 0, 0]) }
    #expect(Swift.abs(value - 9) < 1e-5)
    #expect(counters.compileRequests == 1 && counters.compiles == 0, "\(counters)")
    #expect(counters.hostToDeviceTransfers == 1 && counters.deviceToHostTransfers == 1, "\(counters)")
}
