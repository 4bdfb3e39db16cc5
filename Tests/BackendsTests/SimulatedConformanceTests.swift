import Foundation
import KernelIR
import Testing
@testable import Backends

// Every primitive and every kernel of `Kernels/` on every simulated device matches the reference
// interpreter run under the profile's rounding (contraction operands rounded as the matrix unit
// rounds them), within the dtype's entry of the Tolerance table, which is not loosened: what
// remains is the accumulation order, fp32 sums and fp32-carried 16-bit arithmetic. The device's
// stated tolerance, for comparisons with the plain interpreter, is checked too.

/// The interpreter's results with every float matmul and convolution operand first rounded as
/// `numerics` says (a single-pass precision), everything else the interpreter's own rules.
func profileReference(_ graph: Graph, inputs: [TensorValue], numerics: DeviceNumerics) throws -> [TensorValue] {
    let interpreter = Interpreter()
    var values = inputs
    for instruction in graph.instructions {
        var operands = instruction.operands.map { values[$0.index] }
        var isConvolution = false
        switch instruction.op {
        case .convolution: isConvolution = true
        case .matmul: break
        case .unary, .binary, .compare, .select, .cast, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice,
             .concat, .pad, .reduce, .iota, .constant, .random:
            values.append(interpreter.evaluate(instruction.op, operands, type: instruction.type))
            continue
        }
        if let precision = numerics.precision(for: operands[0].dtype, convolution: isConvolution) {
            try #require(precision.passes == 1, "the reference models single-pass precisions only")
            operands = operands.map { operand in
                TensorValue(operand.type, scalars: operand.scalars.map { Double(numerics.operand(Float($0), precision)) })
            }
        }
        values.append(interpreter.evaluate(instruction.op, operands, type: instruction.type))
    }
    return graph.results.map { values[$0.index] }
}

@Test(arguments: PrimitiveCatalog.cases)
func primitiveMatchesTheProfileReferenceOnEverySimulatedDevice(_ example: PrimitiveCase) throws {
    for id in SimulatedTestDevice.profileIDs {
        let device = try SimulatedTestDevice.device(id)
        let numerics = DeviceNumerics(profile: device.profile)
        let inputs = example.inputs(seed: 2)
        let actual = try device.evaluate(example.graph, on: inputs)
        let expected = try profileReference(example.graph, inputs: inputs, numerics: numerics)
        expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: example.graph), "\(example) on \(device.id)")
        // Against the plain interpreter, the device's stated tolerance holds.
        let plain = try Interpreter().run(example.graph, inputs: inputs)
        for (got, want) in zip(actual, plain) {
            let tolerance = device.info.tolerance(for: want.dtype, of: example.graph)
            #expect(tolerance.mismatches(got, want).isEmpty, "\(example) on \(device.id) vs the interpreter within \(tolerance)")
        }
    }
}

@Test(arguments: KernelFiles.names)
func kernelLibraryFunctionMatchesTheProfileReferenceOnEverySimulatedDevice(_ file: String) throws {
    let text = try String(contentsOf: KernelFiles.directory.appendingPathComponent(file), encoding: .utf8)
    for id in SimulatedTestDevice.profileIDs {
        let device = try SimulatedTestDevice.device(id)
        let numerics = DeviceNumerics(profile: device.profile)
        for graph in try Module(parsing: text).functions {
            let inputs = TestInputs.random(for: graph, positive: true, seed: 4)
            let actual = try device.evaluate(graph, on: inputs)
            let expected = try profileReference(graph, inputs: inputs, numerics: numerics)
            expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: graph), "\(file) @\(graph.name) on \(device.id)")
        }
    }
}

@Test func statedTolerancesFollowTheMatrixUnitFormat() throws {
    let tpu = try SimulatedTestDevice.device("tpu-v5e").info
    #expect(tpu.tolerance(for: .f32, reductionLength: 1, contracting: false).relative == 1e-5)
    #expect(tpu.tolerance(for: .f32, reductionLength: 4, contracting: true).relative == 2 * 0x1p-7 * 2, "bf16 operands: two bf16 ulps, scaled by √4")
    let ascend = try SimulatedTestDevice.device("ascend-910b").info
    #expect(ascend.tolerance(for: .f32, reductionLength: 1, contracting: true).relative == 2 * 0x1p-11, "hf32 convolutions")
    #expect(ascend.tolerance(for: .f16, reductionLength: 1, contracting: true).relative == 2e-3)
    let cpu = try #require(CPUBackend().discover().devices.first).info
    #expect(cpu.tolerance(for: .f32, reductionLength: 9, contracting: true) == Tolerance(for: .f32, reductionLength: 9), "devices stating nothing get the table")
}
