import Foundation
import KernelIR
import Testing
@testable import Backends

/// Runs schedules the way the CPU device will: inputs laid out as device bytes in raw buffers,
/// planned slots allocated from `Schedule.slotByteCounts`, kernels run in order. Loop and reduction
/// kernels (and contraction epilogues) run compiled; the contraction itself is computed by the
/// interpreter, since BLAS is not this harness's concern.
enum LoopKernelHarness {
    /// The tests' cache, shared by test runs (entries are keyed by their whole source, compiler and
    /// flags, so a reused entry is exactly what a fresh build would give) and never the user's.
    static let cacheDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-backends-tests", isDirectory: true)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// Runs `body` with a fresh, empty cache directory, removed afterwards.
    static func withFreshCache<Result>(_ body: (URL) throws -> Result) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-backends-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// A compiler for `cpu:0` over the test cache, with `overrides` added to the process environment.
    static func compiler(_ overrides: [String: String] = [:], cache: URL = cacheDirectory) -> CPUKernelCompiler {
        var environment = ProcessInfo.processInfo.environment
        environment["ACC_CACHE_DIR"] = cache.path
        environment["ACC_CC"] = nil
        environment["ACC_CFLAGS"] = nil
        for (key, value) in overrides { environment[key] = value }
        return CPUKernelCompiler(device: "cpu:0", environment: environment)
    }

    /// Runs `schedule` on `inputs` with `kernels` (one per ``CPUKernelCompiler/loopKernels(of:)``),
    /// each kernel's output range cut into `chunks` pieces run one after another.
    static func run(_ schedule: Schedule, inputs: [TensorValue], kernels: [any LoopKernel], chunks: Int = 1) throws -> [TensorValue] {
        let byteCounts = schedule.inputTypes.map(\.byteCount) + schedule.slotByteCounts
        let buffers = byteCounts.map { UnsafeMutableRawPointer.allocate(byteCount: max($0, 1), alignment: 64) }
        defer { for buffer in buffers { buffer.deallocate() } }
        for (position, input) in inputs.enumerated() {
            input.copyDeviceBytes(to: UnsafeMutableRawBufferPointer(start: buffers[position], count: input.type.byteCount))
        }
        var remaining = kernels[...]
        for kernel in schedule.kernels {
            var loop = kernel
            if kernel.kind == .contraction {
                let parts = try #require(kernel.contractionParts)
                try contract(kernel, parts, buffers: buffers)
                guard let epilogue = parts.epilogue else { continue }
                loop = epilogue
            }
            let next = remaining.popFirst()
            let compiled = try #require(next, "fewer compiled kernels than loop kernels")
            let pointers = (loop.inputs + [loop.output]).map { buffers[$0.index] }
            let count = loop.body.resultTypes[0].elementCount
            try pointers.withUnsafeBufferPointer { pointers in
                let base = try #require(pointers.baseAddress)
                for piece in 0..<chunks {
                    compiled.run(base, range: count * piece / chunks..<count * (piece + 1) / chunks)
                }
            }
        }
        #expect(remaining.isEmpty, "more compiled kernels than loop kernels")
        return schedule.outputs.map { output in
            TensorValue(deviceBytes: UnsafeRawBufferPointer(start: buffers[output.buffer.index], count: output.type.byteCount), type: output.type)
        }
    }

    /// Computes a contraction kernel's matmul or convolution into its output buffer with the interpreter.
    private static func contract(_ kernel: Kernel, _ parts: Kernel.ContractionParts, buffers: [UnsafeMutableRawPointer]) throws {
        let arguments = zip(kernel.inputs, kernel.body.parameters).map { buffer, parameter in
            TensorValue(deviceBytes: UnsafeRawBufferPointer(start: buffers[buffer.index], count: parameter.type.byteCount), type: parameter.type)
        }
        let builder = GraphBuilder(name: "contraction")
        let parameters = kernel.body.parameters.map { builder.parameter($0.type) }
        let result = try builder.emit(parts.op, parts.operandInputs.map { parameters[$0] })
        let value = try Interpreter().run(builder.build(returning: [result]), inputs: arguments)[0]
        value.copyDeviceBytes(to: UnsafeMutableRawBufferPointer(start: buffers[kernel.output.index], count: parts.type.byteCount))
    }

    /// Compiles `graph`'s loop kernels, runs its schedule, and compares with the interpreter.
    static func check(_ graph: Graph, inputs: [TensorValue], named name: String, compiler: CPUKernelCompiler = compiler(),
                      exact: Bool = false) throws {
        let schedule = Fusion.schedule(graph)
        let kernels = try compiler.compile(CPUKernelCompiler.loopKernels(of: schedule))
        let expected = try Interpreter().run(graph, inputs: inputs)
        let actual = try run(schedule, inputs: inputs, kernels: kernels)
        try #require(actual.count == expected.count)
        let length = Tolerance.reductionLength(of: graph)
        for (position, (got, want)) in zip(actual, expected).enumerated() {
            if exact {
                #expect(got.deviceBytes == want.deviceBytes, "\(name) result \(position): \(got) != \(want) bit for bit")
            } else {
                let problems = Tolerance(for: want.dtype, reductionLength: length).mismatches(got, want)
                #expect(problems.isEmpty, "\(name) result \(position): \(problems.joined(separator: "; "))")
            }
        }
        // Any split of the output range gives the same bytes.
        for chunks in [2, 3] {
            let split = try run(schedule, inputs: inputs, kernels: kernels, chunks: chunks)
            #expect(split.map(\.deviceBytes) == actual.map(\.deviceBytes), "\(name) differs when run in \(chunks) pieces")
        }
    }

    /// Seeded inputs for `graph`'s parameters, as `PrimitiveCase.inputs` draws them: floats uniform
    /// on [-2, 2) (`signed`) or [0.25, 2.25) (`positive`) rounded to their dtype, i32 in -5...5, random bools.
    static func inputs(for graph: Graph, seed: Int, positive: Bool = false) -> [TensorValue] {
        graph.parameters.enumerated().map { position, parameter in
            let generator = Philox(seed: seed &* 7919 &+ position)
            let scalars = (0..<parameter.type.elementCount).map { index -> Double in
                let uniform = generator.uniform(at: index)
                switch parameter.type.dtype {
                case .bool: return uniform < 0.5 ? 0 : 1
                case .i32: return (uniform * 11).rounded(.down) - 5
                case .f32, .f16, .bf16: return positive ? uniform * 2 + 0.25 : uniform * 4 - 2
                }
            }
            return TensorValue(converting: scalars, to: parameter.type)
        }
    }
}
