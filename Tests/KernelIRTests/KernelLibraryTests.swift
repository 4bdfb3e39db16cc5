import Foundation
import Testing
@testable import KernelIR

// Tests of the kernel library in `Kernels/`: every file is canonical `.kir`, and every function
// computes what its comment says. Expectations are derived here, independently of the interpreter:
// plain Swift loops in `Double`, hand-computed values, and identities (softmax rows sum to 1,
// unpatchify inverts patchify, one key returns its value, ...).

// MARK: - The library on disk

/// The `.kir` files of `Kernels/`, found from this file's path, and helpers to run their functions.
enum KernelLibrary {
    /// `Kernels/` at the package root: this file is `Tests/KernelIRTests/KernelLibraryTests.swift`.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Kernels", isDirectory: true)

    /// Every kernel file; `libraryListsEveryKernelFile` keeps this list equal to the directory.
    static let files = [
        "adaln_modulate.kir", "adamw.kir", "attention.kir", "conv3d_block.kir", "gelu_tanh.kir",
        "layernorm.kir", "linear.kir", "mse_loss.kir", "patchify.kir", "silu.kir", "softmax.kir",
        "timestep_embedding.kir", "unpatchify.kir",
    ]

    static func text(of file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    static func module(_ file: String) throws -> Module {
        try Module(parsing: text(of: file))
    }

    /// Runs `@function` of `file` on `inputs` in the reference interpreter.
    static func run(_ function: String, in file: String, _ inputs: [TensorValue]) throws -> [TensorValue] {
        let graph = try #require(try module(file).function(named: function), "\(file) has no @\(function)")
        return try Interpreter().run(graph, inputs: inputs)
    }

    /// Runs a function with one result.
    static func runSingle(_ function: String, in file: String, _ inputs: [TensorValue]) throws -> TensorValue {
        let results = try run(function, in: file, inputs)
        try #require(results.count == 1, "@\(function) returns \(results.count) values, expected 1")
        return results[0]
    }
}

// MARK: - Test data and comparison

/// Deterministic test tensors and the f32 comparison every kernel test uses.
enum KernelFixture {
    /// An f32 tensor of `dimensions` whose elements are `offset + scale * u`, `u` in [-1, 1) from a
    /// fixed hash of the element index and `seed` (no clock, no generator state), rounded to f32
    /// so that the `Double` references below see exactly the interpreter's inputs.
    static func sample(_ dimensions: [Int], seed: Int, scale: Double = 1, offset: Double = 0) -> TensorValue {
        let type = TensorType(.f32, Shape(dimensions))
        let scalars = (0..<type.elementCount).map { index in
            let hashed = sin(Double(index) * 12.9898 + Double(seed) * 78.233) * 43758.5453
            return offset + scale * (2 * (hashed - hashed.rounded(.down)) - 1)
        }
        return TensorValue(converting: scalars, to: type)
    }

    /// An f32 tensor with the given elements (rounded to f32).
    static func f32(_ dimensions: [Int], _ scalars: [Double]) -> TensorValue {
        TensorValue(converting: scalars, to: TensorType(.f32, Shape(dimensions)))
    }

    /// An f32 scalar (`f32[]`).
    static func scalar(_ value: Double) -> TensorValue { f32([], [value]) }

    /// Whether `got` agrees with the exact `want` as f32 results do: relative 1e-5, with an absolute
    /// floor of 1e-6 because a few kernels cancel to near zero (x - mean, 1 + tanh near -1) after
    /// each op rounded its result to f32.
    static func isClose(_ got: Double, _ want: Double, relative: Double = 1e-5, absolute: Double = 1e-6) -> Bool {
        abs(got - want) <= max(relative * abs(want), absolute)
    }

    /// Expects `got` to have `dimensions` and to agree elementwise with `want`; reports the first
    /// disagreeing element and how many disagree.
    static func expectClose(_ got: TensorValue, _ want: [Double], dimensions: [Int],
                            relative: Double = 1e-5, absolute: Double = 1e-6, _ what: String,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(got.type == TensorType(.f32, Shape(dimensions)), "\(what): result type", sourceLocation: sourceLocation)
        guard got.scalars.count == want.count else {
            Issue.record("\(what): \(got.scalars.count) elements, expected \(want.count)", sourceLocation: sourceLocation)
            return
        }
        let bad = want.indices.filter { !isClose(got.scalars[$0], want[$0], relative: relative, absolute: absolute) }
        if let first = bad.first {
            Issue.record("\(what): \(bad.count) of \(want.count) elements differ; first at offset \(first): got \(got.scalars[first]), expected \(want[first])",
                         sourceLocation: sourceLocation)
        }
    }

    /// The row-major offset of `index` in a tensor of `dimensions`.
    static func offset(_ index: [Int], in dimensions: [Int]) -> Int {
        zip(index, dimensions).reduce(0) { $0 * $1.1 + $1.0 }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func silu(_ x: Double) -> Double { x * sigmoid(x) }
    static func geluTanh(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }

    /// Softmax of one row, in `Double`.
    static func softmax(_ row: [Double]) -> [Double] {
        let exponentials = row.map { exp($0) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }

    /// Layer normalisation of one row: no affine, biased variance, eps 1e-6.
    static func layerNorm(_ row: [Double]) -> [Double] {
        let mean = row.reduce(0, +) / Double(row.count)
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(row.count)
        return row.map { ($0 - mean) / (variance + 1e-6).squareRoot() }
    }

    /// The rows of a tensor along its last axis.
    static func rows(_ value: TensorValue) -> [[Double]] {
        let width = value.shape[value.shape.rank - 1]
        return stride(from: 0, to: value.scalars.count, by: width).map { Array(value.scalars[$0..<($0 + width)]) }
    }

    /// Direct channels-last 3-D convolution plus bias: x [1, T, H, W, C], w [k, k, k, C, O], zero padding.
    static func convolution3D(_ x: TensorValue, _ w: TensorValue, _ b: TensorValue, stride: Int, padding: Int) -> (dimensions: [Int], values: [Double]) {
        let (t, h, wd, c) = (x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (k, o) = (w.shape[0], w.shape[4])
        func size(_ input: Int) -> Int { (input + 2 * padding - k) / stride + 1 }
        let dimensions = [1, size(t), size(h), size(wd), o]
        var values: [Double] = []
        for ot in 0..<dimensions[1] {
            for oh in 0..<dimensions[2] {
                for ow in 0..<dimensions[3] {
                    for out in 0..<o {
                        var sum = b.scalars[out]
                        for kt in 0..<k {
                            for kh in 0..<k {
                                for kw in 0..<k {
                                    let (it, ih, iw) = (ot * stride + kt - padding, oh * stride + kh - padding, ow * stride + kw - padding)
                                    guard (0..<t).contains(it), (0..<h).contains(ih), (0..<wd).contains(iw) else { continue }
                                    for channel in 0..<c { sum += x[0, it, ih, iw, channel] * w[kt, kh, kw, channel, out] }
                                }
                            }
                        }
                        values.append(sum)
                    }
                }
            }
        }
        return (dimensions, values)
    }
}

/// An elementwise kernel and its scalar definition, for the table of elementwise tests.
struct ElementwiseKernel: CustomTestStringConvertible, Sendable {
    let file: String
    let function: String
    let reference: @Sendable (Double) -> Double
    /// Hand-computed `(x, f(x))` pairs, at most 16.
    let handChecked: [(x: Double, y: Double)]

    var testDescription: String { "@\(function) in \(file)" }

    static let all = [
        // gelu_tanh(1) = 0.8412 and gelu_tanh(-1) = -0.1588 as published for the tanh approximation;
        // far from 0 it is x for x > 0 and 0 for x < 0.
        ElementwiseKernel(file: "gelu_tanh.kir", function: "gelu_tanh", reference: KernelFixture.geluTanh,
                          handChecked: [(0, 0), (1, 0.8411919906082768), (-1, -0.15880800939172324),
                                        (2, 1.954597694087775), (0.5, 0.34571400982514394), (10, 10), (-10, 0)]),
        // silu(1) = 1 / (1 + e^-1), silu(-1) = -1 / (1 + e), silu(x) -> x for large x.
        ElementwiseKernel(file: "silu.kir", function: "silu", reference: KernelFixture.silu,
                          handChecked: [(0, 0), (1, 0.7310585786300049), (-1, -0.2689414213699951),
                                        (2, 1.7615941559557649), (40, 40)]),
    ]
}

// MARK: - Tests

@Suite struct KernelLibraryTests {
    typealias Fixture = KernelFixture

    // MARK: Files

    @Test func libraryListsEveryKernelFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: KernelLibrary.directory.path)
            .filter { $0.hasSuffix(".kir") }.sorted()
        #expect(names == KernelLibrary.files, "every Kernels/*.kir file needs a test here")
    }

    @Test(arguments: KernelLibrary.files)
    func kernelFileIsCanonical(_ file: String) throws {
        let text = try KernelLibrary.text(of: file)
        let module = try Module(parsing: text)
        #expect(try Module(parsing: module.text) == module)
        #expect(text == module.text, "\(file) differs from its canonical form; write it as `acctl parse \(file)` prints it")
        try Verifier.verify(module)
        for function in module.functions {
            #expect(!function.documentation.isEmpty, "@\(function.name) in \(file) needs a // comment saying what it computes")
        }
    }

    /// Every function runs on sample inputs (positive, so that adamw's second moment is valid) and
    /// returns finite values of its declared types.
    @Test(arguments: KernelLibrary.files)
    func everyFunctionRunsToFiniteResults(_ file: String) throws {
        for function in try KernelLibrary.module(file).functions {
            let inputs = function.parameters.enumerated().map { position, parameter in
                Fixture.sample(parameter.type.shape.dimensions, seed: position, scale: 0.5, offset: 1)
            }
            let results = try Interpreter().run(function, inputs: inputs)
            #expect(results.map(\.type) == function.resultTypes, "@\(function.name)")
            #expect(results.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }, "@\(function.name) gave a non-finite value")
        }
    }

    // MARK: linear.kir

    @Test func linearMatchesReference() throws {
        let x = Fixture.sample([2, 3, 4], seed: 1), w = Fixture.sample([4, 5], seed: 2), b = Fixture.sample([5], seed: 3)
        let y = try KernelLibrary.runSingle("linear", in: "linear.kir", [x, w, b])
        var want: [Double] = []
        for batch in 0..<2 {
            for token in 0..<3 {
                for out in 0..<5 {
                    var sum = b[out]
                    for input in 0..<4 { sum += x[batch, token, input] * w[input, out] }
                    want.append(sum)
                }
            }
        }
        Fixture.expectClose(y, want, dimensions: [2, 3, 5], "linear")
    }

    @Test func linearHandComputed() throws {
        // x all ones, W[i][o] = i, b[o] = 10 o: every output is 0 + 1 + 2 + 3 + 10 o, exactly.
        let x = Fixture.f32([2, 3, 4], [Double](repeating: 1, count: 24))
        let w = Fixture.f32([4, 5], (0..<20).map { Double($0 / 5) })
        let b = Fixture.f32([5], [0, 10, 20, 30, 40])
        let y = try KernelLibrary.runSingle("linear", in: "linear.kir", [x, w, b])
        let want: [Double] = (0..<30).map { Double(6 + 10 * ($0 % 5)) }
        #expect(y.scalars == want)
    }

    // MARK: gelu_tanh.kir, silu.kir

    @Test(arguments: ElementwiseKernel.all)
    func elementwiseKernelMatchesReference(_ kernel: ElementwiseKernel) throws {
        let x = Fixture.sample([2, 8], seed: 4, scale: 4)
        let y = try KernelLibrary.runSingle(kernel.function, in: kernel.file, [x])
        Fixture.expectClose(y, x.scalars.map(kernel.reference), dimensions: [2, 8], kernel.testDescription)
    }

    @Test(arguments: ElementwiseKernel.all)
    func elementwiseKernelHandComputed(_ kernel: ElementwiseKernel) throws {
        let padding = 16 - kernel.handChecked.count
        let x = Fixture.f32([2, 8], kernel.handChecked.map(\.x) + [Double](repeating: 0, count: padding))
        let y = try KernelLibrary.runSingle(kernel.function, in: kernel.file, [x])
        Fixture.expectClose(y, kernel.handChecked.map(\.y) + [Double](repeating: 0, count: padding), dimensions: [2, 8],
                            kernel.testDescription + " at hand-computed points")
    }

    // MARK: softmax.kir

    @Test func softmaxMatchesReferenceAndRowsSumToOne() throws {
        let x = Fixture.sample([3, 4], seed: 5, scale: 3)
        let y = try KernelLibrary.runSingle("softmax", in: "softmax.kir", [x])
        Fixture.expectClose(y, Fixture.rows(x).flatMap(Fixture.softmax), dimensions: [3, 4], "softmax")
        for (index, row) in Fixture.rows(y).enumerated() {
            #expect(Fixture.isClose(row.reduce(0, +), 1), "softmax row \(index) sums to \(row.reduce(0, +))")
            #expect(row.allSatisfy { $0 > 0 && $0 < 1 }, "softmax row \(index): \(row)")
        }
    }

    @Test func softmaxHandComputedAndStable() throws {
        // softmax([1, 2, 3, 4]) = [0.0321, 0.0871, 0.2369, 0.6439]; adding 1000 changes nothing and
        // must not overflow; equal logits give exactly 1/4 each.
        let x = Fixture.f32([3, 4], [1, 2, 3, 4, 1001, 1002, 1003, 1004, 7, 7, 7, 7])
        let rows = Fixture.rows(try KernelLibrary.runSingle("softmax", in: "softmax.kir", [x]))
        let known = [0.03205860328008499, 0.08714431874203257, 0.23688281808991013, 0.6439142598879722]
        #expect(zip(rows[0], known).allSatisfy { Fixture.isClose($0, $1) }, "softmax([1, 2, 3, 4]) = \(rows[0])")
        #expect(rows[1] == rows[0], "softmax must subtract the row maximum: \(rows[1])")
        #expect(rows[2] == [0.25, 0.25, 0.25, 0.25])
    }

    // MARK: layernorm.kir

    @Test func layerNormMatchesReferenceWithMeanZeroVarianceOne() throws {
        let x = Fixture.sample([2, 3, 8], seed: 6, scale: 2, offset: 3)
        let y = try KernelLibrary.runSingle("layernorm", in: "layernorm.kir", [x])
        Fixture.expectClose(y, Fixture.rows(x).flatMap(Fixture.layerNorm), dimensions: [2, 3, 8], "layernorm")
        for (index, row) in Fixture.rows(y).enumerated() {
            let mean = row.reduce(0, +) / 8
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
            #expect(abs(mean) < 1e-6, "layernorm row \(index) has mean \(mean)")
            #expect(Fixture.isClose(variance, 1), "layernorm row \(index) has variance \(variance)")
        }
    }

    @Test func layerNormOfConstantRowsIsZero() throws {
        // x - mean is exactly 0 on a constant row, and eps keeps 0 * rsqrt(0 + eps) finite.
        let x = Fixture.f32([2, 3, 8], (0..<48).map { Double($0 / 8) - 2.5 })
        let y = try KernelLibrary.runSingle("layernorm", in: "layernorm.kir", [x])
        #expect(y.scalars.allSatisfy { $0 == 0 }, "\(y)")
    }

    @Test func layerNormEpsilonIsOneMillionth() throws {
        // Rows alternating ±2^-10 have mean 0 and variance 2^-20 (about 0.95e-6, the size of eps), so
        // the output ±2^-10 / sqrt(2^-20 + 1e-6) = ±0.699 shows eps itself; eps 1e-5 would give ±0.295.
        let tiny = 0x1p-10
        let x = Fixture.f32([2, 3, 8], (0..<48).map { $0 % 2 == 0 ? tiny : -tiny })
        let y = try KernelLibrary.runSingle("layernorm", in: "layernorm.kir", [x])
        let magnitude = tiny / (tiny * tiny + 1e-6).squareRoot()
        Fixture.expectClose(y, (0..<48).map { $0 % 2 == 0 ? magnitude : -magnitude }, dimensions: [2, 3, 8], "layernorm eps")
    }

    // MARK: adaln_modulate.kir

    @Test func adaLNModulateMatchesReference() throws {
        let x = Fixture.sample([2, 3, 8], seed: 7, scale: 2, offset: -1)
        let shift = Fixture.sample([2, 8], seed: 8), scale = Fixture.sample([2, 8], seed: 9, scale: 0.5)
        let y = try KernelLibrary.runSingle("adaln_modulate", in: "adaln_modulate.kir", [x, shift, scale])
        var want: [Double] = []
        for (index, row) in Fixture.rows(x).enumerated() {
            let sample = index / 3
            for (d, normalized) in Fixture.layerNorm(row).enumerated() {
                want.append(normalized * (1 + scale[sample, d]) + shift[sample, d])
            }
        }
        Fixture.expectClose(y, want, dimensions: [2, 3, 8], "adaln_modulate")
    }

    @Test func adaLNModulateIdentities() throws {
        let x = Fixture.sample([2, 3, 8], seed: 10, scale: 2)
        let zero = Fixture.f32([2, 8], [Double](repeating: 0, count: 16))
        // Zero shift and scale: exactly layernorm.kir's result (the same ops, then * 1 and + 0).
        let plain = try KernelLibrary.runSingle("adaln_modulate", in: "adaln_modulate.kir", [x, zero, zero])
        let normalized = try KernelLibrary.runSingle("layernorm", in: "layernorm.kir", [x])
        #expect(plain == normalized)
        // Scale -1 zeroes the normalised input, leaving exactly the shift of each token's sample.
        let shift = Fixture.sample([2, 8], seed: 11)
        let minusOne = Fixture.f32([2, 8], [Double](repeating: -1, count: 16))
        let collapsed = try KernelLibrary.runSingle("adaln_modulate", in: "adaln_modulate.kir", [x, shift, minusOne])
        let want = (0..<48).map { shift[$0 / 24, $0 % 8] }
        #expect(collapsed.scalars == want)
    }

    // MARK: attention.kir

    /// Multi-head attention in `Double`: q [B, N, D], k and v [B, M, D], `heads` heads of D / heads columns.
    static func referenceAttention(_ q: TensorValue, _ k: TensorValue, _ v: TensorValue, heads: Int) -> [Double] {
        let (batches, queries, width, keys) = (q.shape[0], q.shape[1], q.shape[2], k.shape[1])
        let headWidth = width / heads
        var out = [Double](repeating: 0, count: q.scalars.count)
        for b in 0..<batches {
            for head in 0..<heads {
                let columns = (head * headWidth)..<((head + 1) * headWidth)
                for i in 0..<queries {
                    let scores = (0..<keys).map { j in
                        columns.reduce(0.0) { $0 + q[b, i, $1] * k[b, j, $1] } / Double(headWidth).squareRoot()
                    }
                    let weights = Fixture.softmax(scores)
                    for column in columns {
                        out[Fixture.offset([b, i, column], in: [batches, queries, width])] =
                            (0..<keys).reduce(0.0) { $0 + weights[$1] * v[b, $1, column] }
                    }
                }
            }
        }
        return out
    }

    @Test func attentionMatchesReference() throws {
        let q = Fixture.sample([2, 4, 8], seed: 12, scale: 2)
        let k = Fixture.sample([2, 4, 8], seed: 13, scale: 2)
        let v = Fixture.sample([2, 4, 8], seed: 14)
        let y = try KernelLibrary.runSingle("attention", in: "attention.kir", [q, k, v])
        Fixture.expectClose(y, Self.referenceAttention(q, k, v, heads: 2), dimensions: [2, 4, 8], "attention")
    }

    @Test func attentionWithZeroQueriesAveragesValues() throws {
        // All scores are 0, so every key weighs exactly 1/4 and each query returns the mean value row.
        let q = Fixture.f32([2, 4, 8], [Double](repeating: 0, count: 64))
        let k = Fixture.sample([2, 4, 8], seed: 15), v = Fixture.sample([2, 4, 8], seed: 16)
        let y = try KernelLibrary.runSingle("attention", in: "attention.kir", [q, k, v])
        let want = (0..<64).map { offset in
            let (b, column) = (offset / 32, offset % 8)
            return (0..<4).reduce(0.0) { $0 + v[b, $1, column] } / 4
        }
        Fixture.expectClose(y, want, dimensions: [2, 4, 8], "attention with zero queries")
    }

    @Test func attentionWithOneKeyReturnsItsValue() throws {
        let q = Fixture.sample([2, 4, 8], seed: 17, scale: 3)
        let k = Fixture.sample([2, 1, 8], seed: 18, scale: 3), v = Fixture.sample([2, 1, 8], seed: 19)
        let y = try KernelLibrary.runSingle("attention_single_key", in: "attention.kir", [q, k, v])
        #expect(y.type == TensorType(.f32, [2, 4, 8]))
        // Softmax over one key is exactly 1, so every query of sample b gets v[b, 0, :] bit for bit.
        let values: [Double] = (0..<64).map { v[$0 / 32, 0, $0 % 8] }
        #expect(y.scalars == values)
        Fixture.expectClose(y, Self.referenceAttention(q, k, v, heads: 2), dimensions: [2, 4, 8], "attention_single_key")
    }

    // MARK: patchify.kir, unpatchify.kir

    /// VDiT's patch layout for [B 2, T 4, H 8, W 8, C 3] and patch (2, 4, 4): calls `visit` with the
    /// offset into the video and the offset into the [B, N 8, P 96] patches of every element.
    static func forEachPatchElement(_ visit: (_ video: Int, _ patches: Int) -> Void) {
        let (pt, ph, pw, channels) = (2, 4, 4, 3)
        for b in 0..<2 {
            for it in 0..<2 {
                for ih in 0..<2 {
                    for iw in 0..<2 {
                        for kt in 0..<pt {
                            for kh in 0..<ph {
                                for kw in 0..<pw {
                                    for c in 0..<channels {
                                        let token = (it * 2 + ih) * 2 + iw
                                        let feature = ((kt * ph + kh) * pw + kw) * channels + c
                                        let video = Fixture.offset([b, it * pt + kt, ih * ph + kh, iw * pw + kw, c], in: [2, 4, 8, 8, 3])
                                        visit(video, Fixture.offset([b, token, feature], in: [2, 8, 96]))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func patchifyMatchesVDiTLayout() throws {
        // Distinct integers, so that any misplaced element shows.
        let x = Fixture.f32([2, 4, 8, 8, 3], (0..<1536).map(Double.init))
        let y = try KernelLibrary.runSingle("patchify", in: "patchify.kir", [x])
        var want = [Double](repeating: -1, count: 1536)
        Self.forEachPatchElement { video, patches in want[patches] = x.scalars[video] }
        #expect(y.type == TensorType(.f32, [2, 8, 96]))
        #expect(y.scalars == want)
    }

    @Test func unpatchifyMatchesVDiTLayout() throws {
        let y = Fixture.f32([2, 8, 96], (0..<1536).map { Double($0 * 3 % 1536) })
        let x = try KernelLibrary.runSingle("unpatchify", in: "unpatchify.kir", [y])
        var want = [Double](repeating: -1, count: 1536)
        Self.forEachPatchElement { video, patches in want[video] = y.scalars[patches] }
        #expect(x.type == TensorType(.f32, [2, 4, 8, 8, 3]))
        #expect(x.scalars == want)
    }

    @Test func unpatchifyInvertsPatchifyExactly() throws {
        let x = Fixture.sample([2, 4, 8, 8, 3], seed: 20)
        let patches = try KernelLibrary.runSingle("patchify", in: "patchify.kir", [x])
        #expect(try KernelLibrary.runSingle("unpatchify", in: "unpatchify.kir", [patches]) == x)
        let y = Fixture.sample([2, 8, 96], seed: 21)
        let video = try KernelLibrary.runSingle("unpatchify", in: "unpatchify.kir", [y])
        #expect(try KernelLibrary.runSingle("patchify", in: "patchify.kir", [video]) == y)
    }

    // MARK: timestep_embedding.kir

    @Test(arguments: [[0.0, 0.7], [0.001, 0.25], [1.0, 0.5]])
    func timestepEmbeddingMatchesReference(_ times: [Double]) throws {
        let t = Fixture.f32([2], times)
        let y = try KernelLibrary.runSingle("timestep_embedding", in: "timestep_embedding.kir", [t])
        #expect(y.type == TensorType(.f32, [2, 64]))
        for (b, time) in t.scalars.enumerated() {
            for i in 0..<32 {
                let frequency = exp(-log(10000.0) * Double(i) / 32)
                let angle = time * 1000 * frequency
                let (cosine, sine) = (y[b, i], y[b, 32 + i])
                // The angle reaches 1000 in f32, whose rounding (a few ulps of the angle, and of the
                // exponent of f) moves cos and sin by up to about 1e-6 times the angle.
                let tolerance = 1e-5 + 1e-6 * angle
                #expect(abs(cosine - cos(angle)) <= tolerance, "t = \(time), i = \(i): cos \(cosine), expected \(cos(angle))")
                #expect(abs(sine - sin(angle)) <= tolerance, "t = \(time), i = \(i): sin \(sine), expected \(sin(angle))")
                #expect(abs(cosine * cosine + sine * sine - 1) < 1e-6)
            }
        }
        // Frequency 0 is exactly 1, so at t = 0 the embedding is exactly cos 0 = 1, then sin 0 = 0.
        if times[0] == 0 {
            let atZero: [Double] = [Double](repeating: 1, count: 32) + [Double](repeating: 0, count: 32)
            #expect(Array(y.scalars[0..<64]) == atZero)
        }
    }

    // MARK: mse_loss.kir

    @Test func mseLossMatchesReference() throws {
        let out = Fixture.sample([2, 4, 6], seed: 22), target = Fixture.sample([2, 4, 6], seed: 23)
        let loss = try KernelLibrary.runSingle("mse_loss", in: "mse_loss.kir", [out, target])
        let want = zip(out.scalars, target.scalars).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 48
        Fixture.expectClose(loss, [want], dimensions: [], "mse_loss")
    }

    @Test func mseLossHandComputed() throws {
        // Multiples of 1/8 keep every difference exact: equal tensors give 0, an offset of 0.5 gives 0.25.
        let target = Fixture.f32([2, 4, 6], (0..<48).map { Double($0 % 13) / 8 - 0.75 })
        let shifted = Fixture.f32([2, 4, 6], target.scalars.map { $0 + 0.5 })
        #expect(try KernelLibrary.runSingle("mse_loss", in: "mse_loss.kir", [target, target]).scalars == [0])
        #expect(try KernelLibrary.runSingle("mse_loss", in: "mse_loss.kir", [shifted, target]).scalars == [0.25])
    }

    // MARK: adamw.kir

    /// Runs adamw.kir; `step` counts from 1 and sets the two bias corrections.
    static func adamW(param: TensorValue, grad: TensorValue, m: TensorValue, v: TensorValue,
                      lr: Double, weightDecay: Double, step: Int) throws -> [TensorValue] {
        let corrections = [1 - pow(0.9, Double(step)), 1 - pow(0.999, Double(step))]
        let results = try KernelLibrary.run("adamw", in: "adamw.kir", [param, grad, m, v, Fixture.scalar(lr), Fixture.scalar(weightDecay),
                                                                       Fixture.scalar(corrections[0]), Fixture.scalar(corrections[1])])
        try #require(results.count == 3, "adamw returns param, m and v")
        return results
    }

    @Test func adamWMatchesReference() throws {
        let param = Fixture.sample([4, 3], seed: 24), grad = Fixture.sample([4, 3], seed: 25, scale: 0.5)
        let m = Fixture.sample([4, 3], seed: 26, scale: 0.1), v = Fixture.sample([4, 3], seed: 27, scale: 0.01, offset: 0.02)
        let (lr, weightDecay, step) = (1e-3, 0.01, 3)
        let results = try Self.adamW(param: param, grad: grad, m: m, v: v, lr: lr, weightDecay: weightDecay, step: step)
        // The scalar inputs as the kernel sees them, rounded to f32.
        let (lr32, weightDecay32) = (Double(Float(lr)), Double(Float(weightDecay)))
        let correction1 = Double(Float(1 - pow(0.9, Double(step)))), correction2 = Double(Float(1 - pow(0.999, Double(step))))
        var (wantParam, wantM, wantV) = ([Double](), [Double](), [Double]())
        for index in 0..<12 {
            let g = grad.scalars[index], p = param.scalars[index]
            let newM = 0.9 * m.scalars[index] + 0.1 * g
            let newV = 0.999 * v.scalars[index] + 0.001 * g * g
            let direction = (newM / correction1) / ((newV / correction2).squareRoot() + 1e-8)
            wantParam.append(p - lr32 * weightDecay32 * p - lr32 * direction)
            wantM.append(newM)
            wantV.append(newV)
        }
        Fixture.expectClose(results[0], wantParam, dimensions: [4, 3], "adamw param")
        Fixture.expectClose(results[1], wantM, dimensions: [4, 3], "adamw m")
        Fixture.expectClose(results[2], wantV, dimensions: [4, 3], "adamw v")
    }

    @Test func adamWFirstStepMovesEachParameterByLearningRate() throws {
        // From zero moments, step 1 bias-corrects m and v back to g and g^2, so the update is
        // lr * g / (|g| + eps): lr times the sign of g.
        let param = Fixture.sample([4, 3], seed: 28), grad = Fixture.sample([4, 3], seed: 29, scale: 0.5, offset: 0.1)
        let zero = Fixture.f32([4, 3], [Double](repeating: 0, count: 12))
        let results = try Self.adamW(param: param, grad: grad, m: zero, v: zero, lr: 1e-3, weightDecay: 0, step: 1)
        let sign = grad.scalars.map { $0 > 0 ? 1.0 : -1.0 }
        Fixture.expectClose(results[0], zip(param.scalars, sign).map { $0 - 1e-3 * $1 }, dimensions: [4, 3], "adamw first step")
        Fixture.expectClose(results[1], grad.scalars.map { 0.1 * $0 }, dimensions: [4, 3], "adamw first m")
        Fixture.expectClose(results[2], grad.scalars.map { 0.001 * $0 * $0 }, dimensions: [4, 3], "adamw first v")
    }

    @Test func adamWEpsilonDampsTinyGradients() throws {
        // At step 1 from zero moments the direction is g / (|g| + eps): with |g| = eps = 1e-8 it is
        // ±1/2, with |g| = 3e-8 it is ±3/4. With param 0, lr 1 and no decay, param' = -direction.
        let grad = Fixture.f32([4, 3], (0..<12).map { [1e-8, -1e-8, 3e-8, -3e-8][$0 % 4] })
        let zero = Fixture.f32([4, 3], [Double](repeating: 0, count: 12))
        let results = try Self.adamW(param: zero, grad: grad, m: zero, v: zero, lr: 1, weightDecay: 0, step: 1)
        let want = (0..<12).map { [-0.5, 0.5, -0.75, 0.75][$0 % 4] }
        Fixture.expectClose(results[0], want, dimensions: [4, 3], "adamw with gradients near eps")
    }

    @Test func adamWWithZeroGradientOnlyDecays() throws {
        // m = v = 0 and g = 0 make the Adam direction 0 / (0 + eps) = 0: only the decoupled
        // weight decay param * (1 - lr * weight_decay) remains.
        let param = Fixture.sample([4, 3], seed: 30, scale: 2)
        let zero = Fixture.f32([4, 3], [Double](repeating: 0, count: 12))
        let results = try Self.adamW(param: param, grad: zero, m: zero, v: zero, lr: 0.1, weightDecay: 0.5, step: 5)
        Fixture.expectClose(results[0], param.scalars.map { $0 * (1 - Double(Float(0.1)) * 0.5) }, dimensions: [4, 3], "adamw decay only")
        #expect(results[1].scalars.allSatisfy { $0 == 0 } && results[2].scalars.allSatisfy { $0 == 0 })
    }

    // MARK: conv3d_block.kir

    @Test func conv3DBlockMatchesReference() throws {
        let x = Fixture.sample([1, 4, 6, 6, 2], seed: 31), w = Fixture.sample([3, 3, 3, 2, 4], seed: 32, scale: 0.3)
        let b = Fixture.sample([4], seed: 33, scale: 0.2)
        let y = try KernelLibrary.runSingle("conv3d_block", in: "conv3d_block.kir", [x, w, b])
        let (dimensions, convolved) = Fixture.convolution3D(x, w, b, stride: 1, padding: 1)
        #expect(dimensions == [1, 4, 6, 6, 4])
        Fixture.expectClose(y, convolved.map(Fixture.silu), dimensions: dimensions, "conv3d_block")
    }

    @Test func conv3DBlockWithCentredDeltaFilterIsSiLU() throws {
        // A filter that is 1 only at the kernel centre from channel c to output c copies the input
        // (padding 1 keeps the size): outputs 0 and 1 are silu(x), outputs 2 and 3 are silu(0) = 0.
        let x = Fixture.sample([1, 4, 6, 6, 2], seed: 34, scale: 3)
        let filter = (0..<216).map { offset -> Double in
            let (tap, channel, out) = (offset / 8, offset / 4 % 2, offset % 4)
            return tap == 13 && channel == out ? 1 : 0
        }
        let w = Fixture.f32([3, 3, 3, 2, 4], filter), b = Fixture.f32([4], [0, 0, 0, 0])
        let y = try KernelLibrary.runSingle("conv3d_block", in: "conv3d_block.kir", [x, w, b])
        let want = (0..<576).map { offset in offset % 4 < 2 ? Fixture.silu(x.scalars[offset / 4 * 2 + offset % 4]) : 0 }
        Fixture.expectClose(y, want, dimensions: [1, 4, 6, 6, 4], "conv3d_block with a delta filter")
    }

    @Test func downsampleMatchesReference() throws {
        let x = Fixture.sample([1, 4, 6, 6, 4], seed: 35), w = Fixture.sample([3, 3, 3, 4, 4], seed: 36, scale: 0.3)
        let b = Fixture.sample([4], seed: 37, scale: 0.2)
        let y = try KernelLibrary.runSingle("downsample", in: "conv3d_block.kir", [x, w, b])
        let (dimensions, want) = Fixture.convolution3D(x, w, b, stride: 2, padding: 1)
        #expect(dimensions == [1, 2, 3, 3, 4])
        Fixture.expectClose(y, want, dimensions: dimensions, "downsample")
    }

    @Test func downsampleCountsTapsInsideThePadding() throws {
        // Ones everywhere: each output sums 4 channels over the taps that land inside the input.
        // With stride 2 and padding 1, output 0 of an axis sees 2 of its 3 taps, the others all 3.
        let x = Fixture.f32([1, 4, 6, 6, 4], [Double](repeating: 1, count: 576))
        let w = Fixture.f32([3, 3, 3, 4, 4], [Double](repeating: 1, count: 432))
        let y = try KernelLibrary.runSingle("downsample", in: "conv3d_block.kir", [x, w, Fixture.f32([4], [0, 0, 0, 0])])
        func taps(_ position: Int) -> Double { position == 0 ? 2 : 3 }
        let want = (0..<72).map { offset in
            4 * taps(offset / 36) * taps(offset / 12 % 3) * taps(offset / 4 % 3)
        }
        #expect(y.type == TensorType(.f32, [1, 2, 3, 3, 4]))
        #expect(y.scalars == want)
    }
}
