import KernelIR
import Testing
@testable import Backends

// Thin products (attention's, a head wide or deep) run in register-tiled C loops rather than
// OpenBLAS: every tile shape, remainder and operand layout must give the product.

@Test(arguments: [
    (1, 1, 1, false, false), (3, 5, 7, false, false), (8, 32, 32, false, false), (9, 33, 17, true, false),
    (256, 256, 32, false, true), (17, 48, 100, true, true), (8, 16, 3, false, true), (64, 96, 512, false, true),
    (5, 15, 1, true, false), (40, 100, 64, true, true),
])
func tiledProductsMatchDoubleSums(_ problem: (rows: Int, columns: Int, depth: Int, transposesLeft: Bool, transposesRight: Bool)) throws {
    let tiled = try #require(TiledGEMM.shared, "no C compiler for the tiled loops")
    let (m, n, k) = (problem.rows, problem.columns, problem.depth)
    let builder = GraphBuilder(name: "operands")
    let operands = builder.build(returning: [builder.parameter(TensorType(.f32, [m * k]), name: "a"),
                                             builder.parameter(TensorType(.f32, [k * n]), name: "b")])
    let inputs = TestInputs.random(for: operands, seed: m * 1000 + n * 10 + k)
    let (a, b) = (inputs[0].scalars.map { Float($0) }, inputs[1].scalars.map { Float($0) })
    let leftStrides = problem.transposesLeft ? (row: 1, column: m) : (row: k, column: 1)
    let rightStrides = problem.transposesRight ? (row: 1, column: k) : (row: n, column: 1)
    // The output is written with a row stride wider than its rows: columns past `n` stay untouched.
    let stride = n + 3
    var c = [Float](repeating: .nan, count: m * stride)
    a.withUnsafeBufferPointer { left in
        b.withUnsafeBufferPointer { right in
            c.withUnsafeMutableBufferPointer { output in
                tiled.multiply(rows: m, columns: n, depth: k, left: left.baseAddress!, strides: leftStrides,
                               right: right.baseAddress!, strides: rightStrides, output: output.baseAddress!, outputStride: stride)
            }
        }
    }
    var worst = 0.0
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                sum += Double(a[i * leftStrides.row + p * leftStrides.column]) * Double(b[p * rightStrides.row + j * rightStrides.column])
            }
            worst = max(worst, abs(sum - Double(c[i * stride + j])))
        }
        let pastColumns = c[(i * stride + n)..<((i + 1) * stride)]
        #expect(pastColumns.allSatisfy { $0.isNaN }, "row \(i) written past its columns")
    }
    #expect(worst <= 1e-5 * Double(k), "\(problem): worst error \(worst)")
}

@Test func thinProductsChooseTheTiledLoops() throws {
    let attention = try GEMMPlan(left: StridedLayout(contiguous: [8, 256, 32]), right: StridedLayout(contiguous: [8, 32, 256]),
                                 leftCount: 8 * 256 * 32, rightCount: 8 * 32 * 256, output: TensorType(.f32, [8, 256, 256]), device: "cpu:0")
    let linear = try GEMMPlan(left: StridedLayout(contiguous: [2048, 128]), right: StridedLayout(contiguous: [128, 512]),
                              leftCount: 2048 * 128, rightCount: 128 * 512, output: TensorType(.f32, [2048, 512]), device: "cpu:0")
    #expect((attention.tiled != nil) == (TiledGEMM.shared != nil && TiledGEMM.policy != "blas"))
    #expect((linear.tiled != nil) == (TiledGEMM.shared != nil && TiledGEMM.policy == "tiled"))
}
