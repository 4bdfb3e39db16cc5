import Foundation
import KernelIR
import Testing
@testable import Backends

// Every primitive and every kernel of `Kernels/`, scheduled, compiled and run on cpu:0, matches the
// reference interpreter within the dtype's tolerance.

@Test func kernelLibraryIsFound() {
    #expect(KernelFiles.names.count >= 10, "no .kir files under \(KernelFiles.directory.path)")
}

@Test(arguments: PrimitiveCatalog.cases)
func primitiveMatchesTheInterpreterOnCPU(_ example: PrimitiveCase) throws {
    let device = try CPUTestDevice.shared()
    for seed in [0, 3] {
        let inputs = example.inputs(seed: seed)
        let expected = try Interpreter().run(example.graph, inputs: inputs)
        let actual = try device.evaluate(Fusion.schedule(example.graph), on: inputs, synchronously: seed == 3)
        expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: example.graph), "\(example) seed \(seed) on \(device.id)")
    }
}

@Test(arguments: KernelFiles.names)
func kernelLibraryFunctionMatchesTheInterpreterOnCPU(_ file: String) throws {
    let device = try CPUTestDevice.shared()
    let text = try String(contentsOf: KernelFiles.directory.appendingPathComponent(file), encoding: .utf8)
    for graph in try Module(parsing: text).functions {
        let inputs = TestInputs.random(for: graph, positive: true, seed: 4)
        let expected = try Interpreter().run(graph, inputs: inputs)
        let actual = try device.evaluate(Fusion.schedule(graph), on: inputs)
        expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: graph), "\(file) @\(graph.name) on \(device.id)")
    }
}

/// Contractions beyond the catalog's: shapes that take each path of the GEMM and im2col lowering.
struct ContractionCase: CustomTestStringConvertible, Sendable {
    var name: String
    var graph: Graph
    var testDescription: String { name }

    static func matmul(_ name: String, _ dtype: DType, _ a: [Int], _ b: [Int], epilogue: ((GraphBuilder, Value) throws(KIRError) -> Value)? = nil) -> ContractionCase {
        let builder = GraphBuilder(name: "matmul_case")
        do {
            let x = builder.parameter(TensorType(dtype, Shape(a)), name: "a"), y = builder.parameter(TensorType(dtype, Shape(b)), name: "b")
            var result = try builder.matmul(x, y)
            if let epilogue { result = try epilogue(builder, result) }
            return ContractionCase(name: name, graph: builder.build(returning: [result]))
        } catch {
            preconditionFailure("ContractionCase \(name) is ill-typed: \(error)")
        }
    }

    static func convolution(_ name: String, _ dtype: DType, _ input: [Int], _ filter: [Int], _ attributes: KernelIR.Convolution) -> ContractionCase {
        let builder = GraphBuilder(name: "conv_case")
        do {
            let x = builder.parameter(TensorType(dtype, Shape(input)), name: "x"), w = builder.parameter(TensorType(dtype, Shape(filter)), name: "w")
            return ContractionCase(name: name, graph: builder.build(returning: [try builder.convolution(x, w, attributes)]))
        } catch {
            preconditionFailure("ContractionCase \(name) is ill-typed: \(error)")
        }
    }

    static let all: [ContractionCase] = [
        matmul("matmul f32 37x29 * 29x53 (multi-threaded sgemm)", .f32, [37, 29], [29, 53]),
        matmul("matmul f32 folded batch [3, 5, 16] * [16, 7]", .f32, [3, 5, 16], [16, 7]),
        matmul("matmul f32 broadcast left [1, 6, 8] * [4, 8, 5]", .f32, [6, 8], [4, 8, 5]),
        matmul("matmul f32 broadcast both [2, 1, 3, 4] * [1, 3, 4, 2]", .f32, [2, 1, 3, 4], [1, 3, 4, 2]),
        matmul("matmul f32 zero depth", .f32, [3, 0], [0, 4]),
        matmul("matmul bf16 batched", .bf16, [4, 9, 16], [4, 16, 3]),
        matmul("matmul i32 batched", .i32, [2, 3, 4], [2, 4, 5]),
        matmul("matmul f32 with bias and tanh epilogue", .f32, [6, 8], [8, 5]) { b, x throws(KIRError) in
            try b.tanh(b.add(x, b.constant(0.25, TensorType(.f32, [6, 5]))))
        },
        matmul("matmul f32 with an f16 cast epilogue (not in place)", .f32, [6, 8], [8, 5]) { b, x throws(KIRError) in
            try b.cast(b.exp(x), to: .f16)
        },
        matmul("matmul f32 with a comparison epilogue (bool output)", .f32, [6, 8], [8, 5]) { b, x throws(KIRError) in
            try b.compare(x, .gt, b.constant(0, TensorType(.f32, [6, 5])))
        },
        convolution("conv 2-d pointwise groups 2", .f32, [2, 3, 4, 6], [1, 1, 3, 4], .init(stride: [1, 1], paddingLow: [0, 0], paddingHigh: [0, 0], dilation: [1, 1], groups: 2)),
        convolution("conv 2-d strided 5x5", .f32, [2, 11, 9, 3], [5, 5, 3, 8], .init(stride: [2, 2], paddingLow: [2, 1], paddingHigh: [2, 0], dilation: [1, 1])),
        convolution("conv 1-d f16 depthwise", .f16, [1, 12, 4], [3, 1, 4], .init(stride: [1], paddingLow: [1], paddingHigh: [1], dilation: [2], groups: 4)),
        convolution("conv 3-d bf16", .bf16, [1, 3, 4, 4, 2], [2, 3, 3, 2, 4], .init(stride: [1, 1, 1], paddingLow: [0, 1, 1], paddingHigh: [1, 1, 1], dilation: [1, 1, 1])),
    ]
}

@Test(arguments: ContractionCase.all)
func contractionMatchesTheInterpreterOnCPU(_ example: ContractionCase) throws {
    let device = try CPUTestDevice.shared()
    let inputs = TestInputs.random(for: example.graph, seed: 11)
    let expected = try Interpreter().run(example.graph, inputs: inputs)
    expectMatches(try device.evaluate(Fusion.schedule(example.graph), on: inputs), expected, reductionLength: 100, "\(example.name) on \(device.id)")
}

@Test func im2colInSmallBlocksMatchesTheInterpreter() throws {
    // A column-matrix limit of a few rows forces many blocks, including a short last one.
    let device = try CPUTestDevice.shared()
    let example = ContractionCase.convolution("blocked", .f32, [2, 7, 5, 3], [3, 3, 3, 4], .init(stride: [1, 2], paddingLow: [1, 1], paddingHigh: [1, 1], dilation: [1, 1]))
    let inputs = TestInputs.random(for: example.graph, seed: 5)
    let expected = try Interpreter().run(example.graph, inputs: inputs)[0]
    let plan = try ConvolutionPlan(input: inputs[0].type, filter: inputs[1].type, output: expected.type,
                                   attributes: .init(stride: [1, 2], paddingLow: [1, 1], paddingHigh: [1, 1], dilation: [1, 1]),
                                   device: device.id, columnByteLimit: 4 * 27 * 4)
    #expect(plan.rowsPerBlock == 4)
    #expect(plan.rows % plan.rowsPerBlock != 0)
    var output = [Float](repeating: .nan, count: expected.type.elementCount)
    let input = inputs[0].scalars.map(Float.init), filter = inputs[1].scalars.map(Float.init)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(64, plan.scratchByteCount), alignment: 64)
    defer { scratch.deallocate() }
    input.withUnsafeBytes { x in
        filter.withUnsafeBytes { w in
            output.withUnsafeMutableBytes { y in
                if let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress {
                    plan.run(input: x, filter: w, output: y, scratch: scratch, pool: device.pool)
                }
            }
        }
    }
    expectMatches([TensorValue(expected.type, scalars: output.map(Double.init))], [expected], reductionLength: 100, "blocked im2col")
}

@Test(arguments: [(false, true), (true, false), (true, true)])
func transposedOperandsReachOpenBLASWithoutCopies(_ transposes: (Bool, Bool)) throws {
    let device = try CPUTestDevice.shared()
    let builder = GraphBuilder(name: "transposed")
    let a = builder.parameter(TensorType(.f32, transposes.0 ? [3, 5, 4] : [3, 4, 5]), name: "a")
    let b = builder.parameter(TensorType(.f32, transposes.1 ? [6, 5] : [5, 6]), name: "b")
    let left = transposes.0 ? try builder.permute(a, [0, 2, 1]) : a
    let right = transposes.1 ? try builder.permute(b, [1, 0]) : b
    let graph = builder.build(returning: [try builder.tanh(builder.matmul(left, right))])
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    #expect(schedule.kernels.count == 1, "\(schedule.text)")
    let parts = try #require(schedule.kernels.first?.contractionParts)
    #expect(parts.operandLayouts.map(\.isTransposed) == [transposes.0, transposes.1])
    let inputs = TestInputs.random(for: graph, seed: 5)
    expectMatches(try device.evaluate(schedule, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: Tolerance.reductionLength(of: graph), "transposed \(transposes)")
}
