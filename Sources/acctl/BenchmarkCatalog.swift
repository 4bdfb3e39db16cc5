import Foundation
import KernelIR
import Models

/// One benchmark: a program, its inputs, and the work one run does.
struct Benchmark {
    /// What a run's throughput is measured in.
    enum Work {
        /// Floating-point operations, reported as GFLOP/s.
        case flops(Int)
        /// Bytes read and written, reported as GB/s.
        case bytes(Int)
        /// Nothing to count: the time per run is the figure (launch overhead).
        case launch
    }

    /// The suite it belongs to (`gemm`, `elementwise`, ...).
    var suite: String
    /// The case within the suite, e.g. `1024`.
    var name: String
    /// The program.
    var graph: Graph
    /// The work of one run.
    var work: Work
    /// Builds the inputs (called once per device).
    var inputs: @Sendable () -> [TensorValue]
}

/// The benchmark suites of `acctl bench`.
enum BenchmarkCatalog {
    /// Every suite name, in the order they run.
    static let suites = ["launch", "gemm", "elementwise", "softmax", "layernorm", "attention", "conv3d", "train"]

    /// The benchmarks of `suite`.
    static func benchmarks(in suite: String) throws -> [Benchmark] {
        switch suite {
        case "launch":
            let builder = GraphBuilder(name: "launch")
            let x = builder.parameter(TensorType(.f32, [4]), name: "x")
            return [Benchmark(suite: suite, name: "add f32[4]", graph: builder.build(returning: [try builder.add(x, x)]),
                              work: .launch, inputs: { [pattern(TensorType(.f32, [4]))] })]
        case "gemm":
            return try [512, 1024, 2048].map { n in
                let builder = GraphBuilder(name: "gemm_\(n)")
                let type = TensorType(.f32, [n, n])
                let a = builder.parameter(type, name: "a"), b = builder.parameter(type, name: "b")
                return Benchmark(suite: suite, name: "\(n)", graph: builder.build(returning: [try builder.matmul(a, b)]),
                                 work: .flops(2 * n * n * n), inputs: { [pattern(type), pattern(type, seed: 1)] })
            }
        case "elementwise":
            let count = 16 << 20
            let type = TensorType(.f32, [count]), scalar = TensorType(.f32, [])
            let builder = GraphBuilder(name: "gelu_affine")
            let x = builder.parameter(type, name: "x")
            let a = builder.parameter(scalar, name: "a"), b = builder.parameter(scalar, name: "b")
            let affine = try builder.add(builder.mul(x, builder.broadcast(a, to: type.shape)), builder.broadcast(b, to: type.shape))
            return [Benchmark(suite: suite, name: "gelu_tanh(x*a+b) 16M", graph: builder.build(returning: [try builder.geluTanh(affine)]),
                              work: .bytes(2 * type.byteCount),
                              inputs: { [pattern(type), TensorValue(type: scalar, 1.5), TensorValue(type: scalar, -0.25)] })]
        case "softmax", "layernorm":
            let type = TensorType(.f32, [8192, 1024])
            let builder = GraphBuilder(name: suite)
            let x = builder.parameter(type, name: "x")
            let y = suite == "softmax" ? try builder.softmax(x) : try builder.layerNorm(x)
            return [Benchmark(suite: suite, name: "[8192, 1024]", graph: builder.build(returning: [y]),
                              work: .bytes(2 * type.byteCount), inputs: { [pattern(type)] })]
        case "attention":
            // batch * heads = 32, 256 tokens, head width 32.
            let type = TensorType(.f32, [8, 256, 128])
            let builder = GraphBuilder(name: "attention")
            let q = builder.parameter(type, name: "q"), k = builder.parameter(type, name: "k"), v = builder.parameter(type, name: "v")
            let y = try builder.attention(query: q, key: k, value: v, heads: 4)
            return [Benchmark(suite: suite, name: "32x256x32", graph: builder.build(returning: [y]),
                              work: .flops(2 * 2 * 32 * 256 * 256 * 32), inputs: { [pattern(type), pattern(type, seed: 1), pattern(type, seed: 2)] })]
        case "conv3d":
            let input = TensorType(.f32, [1, 8, 32, 32, 16]), filter = TensorType(.f32, [3, 3, 3, 16, 32])
            let builder = GraphBuilder(name: "conv3d")
            let x = builder.parameter(input, name: "x"), w = builder.parameter(filter, name: "w")
            let y = try builder.convolution(x, w, Convolution(stride: [1, 1, 1], paddingLow: [1, 1, 1], paddingHigh: [1, 1, 1], dilation: [1, 1, 1]))
            return [Benchmark(suite: suite, name: "[1,8,32,32,16] * 3x3x3 -> 32", graph: builder.build(returning: [y]),
                              work: .flops(2 * 8 * 32 * 32 * 32 * 27 * 16), inputs: { [pattern(input, scale: 1), pattern(filter, seed: 1, scale: 0.1)] })]
        case "train":
            return try [VDiTConfiguration.test, .small].map { configuration in
                let program = VDiTProgram(configuration: configuration)
                let step = try program.trainingStepGraph()
                return Benchmark(suite: suite, name: configuration.name, graph: step, work: .flops(3 * configuration.forwardFLOPs),
                                 inputs: { trainingInputs(program) })
            }
        default:
            throw BenchError.unknownSuite(suite)
        }
    }

    /// Deterministic data in [-scale, scale): cheap to make for 16M elements, never degenerate.
    static func pattern(_ type: TensorType, seed: Int = 0, scale: Double = 1) -> TensorValue {
        let count = type.elementCount
        let scalars = (0..<count).map { index -> Double in
            let mixed = (index &* 2_654_435_761 &+ seed &* 40503) & 0xFFFF
            return (Double(mixed) / 32768 - 1) * scale
        }
        return TensorValue(converting: scalars, to: type)
    }

    /// Weights of the vdit.md scale, zero moments, a patterned batch, and step-1 optimizer scalars.
    static func trainingInputs(_ program: VDiTProgram) -> [TensorValue] {
        let weights = program.parameters.enumerated().map { index, parameter in pattern(parameter.type, seed: index, scale: 0.02) }
        let moments = program.parameters.map { TensorValue(repeating: 0, $0.type) }
        let batch = program.batchParameters.enumerated().map { index, parameter in
            parameter.name == "t" ? pattern(parameter.type, seed: 7, scale: 0.5).shifted(by: 0.5) : pattern(parameter.type, seed: 3 + index)
        }
        let scalar = TensorType(.f32, [])
        let scalars = [1e-3, 0, 0.1, 0.001].map { TensorValue(type: scalar, $0) }
        return weights + moments + moments + batch + scalars
    }
}

/// Why `acctl bench` could not run.
enum BenchError: Error, CustomStringConvertible {
    case unknownSuite(String)

    var description: String {
        switch self {
        case let .unknownSuite(name): "unknown suite '\(name)'; suites: \(BenchmarkCatalog.suites.joined(separator: ", "))"
        }
    }
}

extension TensorValue {
    /// A scalar of `type` holding `value`.
    init(type: TensorType, _ value: Double) { self.init(converting: [value], to: type) }

    /// Every element plus `offset`.
    func shifted(by offset: Double) -> TensorValue { TensorValue(converting: scalars.map { $0 + offset }, to: type) }
}
