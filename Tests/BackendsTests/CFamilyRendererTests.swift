import Foundation
import KernelIR
import Testing
@testable import Backends

// Generated C against the interpreter: every primitive (but the contractions, whose loops are only
// epilogues) and every function of Kernels/*.kir, compiled with the system C compiler and run over
// raw buffers, whole and in pieces.

/// Primitives whose compiled results equal the interpreter's bit for bit: everything but the libm
/// transcendentals (within an ulp or a few) and the reductions whose order the SIMD loop changes.
private let exactPrimitives: Set<String> = [
    "neg", "abs", "sign", "floor", "sqrt", "add", "sub", "mul", "div", "max", "min", "eq", "ne", "lt", "le", "gt", "ge",
    "select", "cast", "broadcast", "reshape", "permute", "reverse", "slice", "concat", "pad", "reduce_max", "reduce_min",
    "iota", "constant", "random_uniform", "random_normal",
]

private let loopPrimitives = PrimitiveCatalog.cases.filter { !$0.name.hasPrefix("matmul") && !$0.name.hasPrefix("conv") }

@Test(arguments: loopPrimitives)
func compiledPrimitiveMatchesInterpreter(_ example: PrimitiveCase) throws {
    let op = String(example.name.prefix { $0 != " " })
    try LoopKernelHarness.check(example.graph, inputs: example.inputs(seed: 3), named: example.name,
                                exact: exactPrimitives.contains(op) || example.name.hasSuffix(" i32"))
}

@Test func kernelLibraryIsListed() {
    #expect(KernelFiles.names.count >= 13, "Kernels/ not found at \(KernelFiles.directory.path)")
}

@Test(arguments: KernelFiles.names)
func compiledKernelFunctionMatchesInterpreter(_ file: String) throws {
    for graph in try KernelFiles.module(file).functions {
        let inputs = LoopKernelHarness.inputs(for: graph, seed: 4)
        try LoopKernelHarness.check(graph, inputs: inputs, named: "\(file) @\(graph.name)")
    }
}

@Test(arguments: SpecialCase.all)
func compiledSpecialCaseMatchesInterpreter(_ example: SpecialCase) throws {
    try LoopKernelHarness.check(example.graph, inputs: example.inputs, named: example.name, exact: example.isExact)
}

/// The kernel functions of a translation unit, without the helpers before them.
private func kernelFunctions(_ source: String) -> String {
    source.range(of: "void acc_k0").map { String(source[$0.lowerBound...]) } ?? source
}

@Test func contiguousElementwiseKernelIsOneFlatSIMDLoop() throws {
    let graph = try #require(try KernelFiles.module("gelu_tanh.kir").functions.first)
    let source = try kernelFunctions(LoopKernelHarness.compiler().source(for: Fusion.schedule(graph)))
    #expect(source.contains("#pragma omp simd\n    for (long i = begin; i < end; ++i) {"))
    #expect(source.contains("in0[i]"))
    #expect(source.contains("out[i] = "))
    #expect(!source.contains(" / "), "a flat kernel computes no index divisions")
}

@Test func broadcastKernelLoopsOverContiguousRows() throws {
    let builder = GraphBuilder(name: "bias")
    let x = builder.parameter(TensorType(.f32, [4, 6, 32]), name: "x")
    let bias = builder.parameter(TensorType(.f32, [32]), name: "bias")
    let y = try builder.add(x, try builder.broadcast(bias, to: [4, 6, 32]))
    let source = try LoopKernelHarness.compiler().source(for: Fusion.schedule(builder.build(returning: [y])))
    #expect(source.contains("for (long c = c_begin; c < c_end; ++c) {"))
    #expect(source.contains("in0[32 * o + c]"), "\(kernelFunctions(source))")
    #expect(source.contains("in1[c]"))
    #expect(source.contains("out[32 * o + c]"))
}

@Test func valuesUsedTwiceAreComputedOnce() throws {
    let builder = GraphBuilder(name: "square")
    let x = builder.parameter(TensorType(.f32, [16]), name: "x")
    let e = try builder.exp(x)
    let y = try builder.mul(e, e)
    let source = try kernelFunctions(LoopKernelHarness.compiler().source(for: Fusion.schedule(builder.build(returning: [y]))))
    #expect(source.components(separatedBy: "acc_exp_f32(").count == 2, "exp appears once in:\n\(source)")
}

@Test func identicalKernelsShareOneFunction() throws {
    let builder = GraphBuilder(name: "twice")
    let x = builder.parameter(TensorType(.f32, [8]), name: "x")
    let a = try builder.tanh(x), b = try builder.tanh(x)
    let schedule = Fusion.schedule(builder.build(returning: [a, b]))
    let unit = try CFamilyRenderer(dialect: .c, device: "cpu:0").translationUnit(for: CPUKernelCompiler.loopKernels(of: schedule))
    #expect(unit.functionNames.count == 2)
    #expect(Set(unit.functionNames).count == 1)
}

@Test func contractionKernelIsRejectedWithItsName() throws {
    let graph = try #require(try KernelFiles.module("linear.kir").functions.first)
    let kernel = try #require(Fusion.schedule(graph).kernels.first)
    let error = #expect(throws: BackendError.self) {
        try CFamilyRenderer(dialect: .c, device: "cpu:0").translationUnit(for: [kernel])
    }
    #expect(error?.description.hasPrefix("cpu:0: not implemented: kernel '") == true)
}

// MARK: - OpenCL

@Test func openCLSourceBindsWorkItemsAndGlobalBuffers() throws {
    let graph = try #require(try KernelFiles.module("softmax.kir").functions.first)
    let kernels = CPUKernelCompiler.loopKernels(of: Fusion.schedule(graph))
    let source = try CFamilyRenderer(dialect: .openCL, device: "opencl:0").translationUnit(for: kernels).source
    #expect(source.contains("__kernel void acc_k0_"))
    #expect(source.contains("__global const float *restrict in0"))
    #expect(source.contains("const long i = begin + (long)get_global_id(0);"))
    #expect(!source.contains("#pragma omp"))
    #expect(!source.contains("double"))
    #expect(!source.contains("#include"))
}

/// clang, when on PATH: it can parse OpenCL C, which checks the OpenCL dialect without a device.
private let clangPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { $0 + "/clang" }.first { FileManager.default.isExecutableFile(atPath: $0) }

@Test(.enabled(if: clangPath != nil, "needs clang to parse OpenCL C"))
func openCLSourceParsesAsOpenCLC() throws {
    let kernels = try KernelFiles.names.flatMap { try KernelFiles.module($0).functions }
        .flatMap { CPUKernelCompiler.loopKernels(of: Fusion.schedule($0)) }
    let catalog = (loopPrimitives.map(\.graph) + SpecialCase.all.map(\.graph)).flatMap { CPUKernelCompiler.loopKernels(of: Fusion.schedule($0)) }
    let source = try CFamilyRenderer(dialect: .openCL, device: "opencl:0").translationUnit(for: kernels + catalog).source
    let (status, log) = try LoopKernelHarness.withFreshCache { directory throws in
        let path = directory.appendingPathComponent("kernels.cl")
        try Data(source.utf8).write(to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(clangPath))
        process.arguments = ["-x", "cl", "-cl-std=CL1.2", "-fsyntax-only", "-Xclang", "-finclude-default-header", path.path]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, log)
    }
    #expect(status == 0, "clang rejects the OpenCL C:\n\(log)")
}

// MARK: - Transcendentals

@Test func transcendentalsAgreeWithTheInterpreterBitForBitAlmostEverywhere() throws {
    let example = try #require(SpecialCase.all.first { $0.name == "f32 transcendentals on many elements" })
    let schedule = Fusion.schedule(example.graph)
    let kernels = try LoopKernelHarness.compiler().compile(CPUKernelCompiler.loopKernels(of: schedule))
    let actual = try LoopKernelHarness.run(schedule, inputs: example.inputs, kernels: kernels)
    let expected = try Interpreter().run(example.graph, inputs: example.inputs)
    // The example's results: exp, log, sin, cos, pow, sigmoid, rsqrt, tanh, sqrt.
    let computedInFloat: Set = [5, 7]
    for (position, (got, want)) in zip(actual, expected).enumerated() {
        if computedInFloat.contains(position) {
            // sigmoid and tanh are float polynomials, within four ulps of the correctly rounded result.
            let worst = zip(got.scalars, want.scalars).map { g, w in abs(g - w) / Double(Float(w).ulp) }.max() ?? 0
            #expect(worst <= 4, "result \(position): \(worst) ulps from the interpreter")
        } else {
            // exp and log are computed in double far below a float's half ulp; only a result within that
            // error of a rounding tie can round differently from glibc's.
            let differing = zip(got.scalars, want.scalars).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing * 1000 <= got.scalars.count, "result \(position): \(differing) of \(got.scalars.count) elements differ")
        }
    }
}

@Test func relaxedExponentialsAreWithinTwoUlpsEverywhere() throws {
    // Every 1/64 from -110 to 95 (beyond both ends of a float's finite, nonzero e^x), and the specials.
    var inputs = stride(from: -110.0, through: 95.0, by: 1.0 / 64).map { $0 }
    inputs += [0, -0.0, 1e-30, -1e-30, .infinity, -.infinity, .nan, 88.72, 88.73, -103.9, -87.5]
    let builder = GraphBuilder(name: "exponentials")
    let x = builder.parameter(TensorType(.f32, [inputs.count]), name: "x")
    let graph = builder.build(returning: [try builder.exp(x)])
    var schedule = Fusion.schedule(graph)
    // A result stays exact; relaxing it here shows what a kernel whose exp feeds a large sum computes.
    #expect(schedule.kernels[0].relaxedExponentials.isEmpty)
    schedule.kernels[0].relaxedExponentials = Set(graph.instructions.map(\.name))
    let compiler = LoopKernelHarness.compiler()
    #expect(try compiler.source(for: schedule).contains("acc_exp_relaxed_f32("))
    let input = TensorValue(TensorType(.f32, [inputs.count]), scalars: inputs.map { Double(Float($0)) })
    let got = try LoopKernelHarness.run(schedule, inputs: [input], kernels: compiler.compile(CPUKernelCompiler.loopKernels(of: schedule)))[0]
    let want = try Interpreter().run(graph, inputs: [input])[0]
    for (position, (g, w)) in zip(got.scalars, want.scalars).enumerated() {
        let (g, w) = (Float(g), Float(w))
        if w.isNaN || w.isInfinite || w == 0 {
            #expect(g.bitPattern == w.bitPattern || (g.isNaN && w.isNaN), "exp(\(inputs[position])) = \(g), expected \(w)")
        } else {
            #expect(abs(g - w) <= 2 * w.ulp, "exp(\(inputs[position])) = \(g), expected \(w)")
        }
    }
}

@Test func outputsBeyondTheCachesAreWrittenWithStreamingStores() throws {
    // 32 MiB and 5 elements: unaligned heads and tails around the 16-element streaming blocks.
    let count = (32 << 20) / 4 + 5
    let builder = GraphBuilder(name: "affine")
    let x = builder.parameter(TensorType(.f32, [count]), name: "x")
    let graph = builder.build(returning: [try builder.add(builder.mul(x, builder.constant(0.5, TensorType(.f32, [count]))),
                                                          builder.constant(0.25, TensorType(.f32, [count])))])
    let schedule = Fusion.schedule(graph)
    let compiler = LoopKernelHarness.compiler()
    #expect(try compiler.source(for: schedule).contains("acc_stream_16(out + i_block, lanes);"))
    let input = TensorValue(TensorType(.f32, [count]), scalars: (0..<count).map { Double($0 % 1000) })
    let result = try LoopKernelHarness.run(schedule, inputs: [input], kernels: compiler.compile(CPUKernelCompiler.loopKernels(of: schedule)), chunks: 7)
    let wrong = zip(result[0].scalars, input.scalars).enumerated().first { $0.element.0 != $0.element.1 * 0.5 + 0.25 }
    #expect(wrong == nil, "element \(wrong?.offset ?? -1) is \(wrong?.element.0 ?? 0)")
}

@Test func rowsAssembledFromPaddedHeadsRunInContiguousSegments() throws {
    // Attention's q, k and v gradients, [batch, heads, tokens, head width] each, merged into one
    // [batch, tokens, 3 * width] gradient by padding and adding, as the autodiff of a split writes it.
    let builder = GraphBuilder(name: "qkv_gradient")
    let gradients = (0..<3).map { builder.parameter(TensorType(.f32, [2, 4, 8, 8]), name: "g\($0)") }
    var terms: [Value] = []
    for (part, gradient) in gradients.enumerated() {
        let rows = try builder.reshape(builder.permute(gradient, [0, 2, 1, 3]), to: [2, 8, 32])
        terms.append(try builder.pad(rows, low: [0, 0, 32 * part], high: [0, 0, 64 - 32 * part]))
    }
    let graph = builder.build(returning: [try builder.add(builder.add(terms[0], terms[1]), terms[2])])
    let source = try kernelFunctions(LoopKernelHarness.compiler().source(for: Fusion.schedule(graph)))
    #expect(source.contains("for (long c = c_first; c < c_last; ++c) {"), "\(source)")
    #expect(!source.contains("acc_clamp") && !source.contains("c_tile"), "no segment clamps or gathers: \(source)")
    try LoopKernelHarness.check(graph, inputs: LoopKernelHarness.inputs(for: graph, seed: 5), named: "qkv gradient", exact: true)
}

@Test func shortRowsTakeInTheAxesBeforeThemWhileReadsStayContiguous() throws {
    // Swapping the two outer axes keeps [4, 5] blocks whole: rows of 20 elements, not of 5.
    let builder = GraphBuilder(name: "swap_outer")
    let x = builder.parameter(TensorType(.f32, [2, 3, 4, 5]), name: "x")
    let graph = builder.build(returning: [try builder.permute(x, [1, 0, 2, 3])])
    let source = try kernelFunctions(LoopKernelHarness.compiler().source(for: Fusion.schedule(graph)))
    #expect(source.contains("const long o = i / 20;"), "\(source)")
    try LoopKernelHarness.check(graph, inputs: LoopKernelHarness.inputs(for: graph, seed: 6), named: "outer swap", exact: true)
}
