import KernelIR
import Testing
@testable import Backends

// Matrix products are cut into row or column blocks for the worker pool (OpenBLAS itself runs
// single-threaded): the blocks tile every product exactly, and split products match the interpreter.

@Test(arguments: [(1, 512, 512, 512, 2), (1, 40, 300, 96, 2), (32, 256, 32, 256, 2), (3, 33, 17, 64, 4), (1, 2048, 384, 128, 2), (5, 8, 8, 8, 2)])
func gemmBlocksTileEveryProductExactly(_ problem: (products: Int, rows: Int, columns: Int, depth: Int, threads: Int)) {
    let split = GEMMSplit(products: problem.products, rows: problem.rows, columns: problem.columns, depth: problem.depth, threads: problem.threads)
    #expect(split.taskCount == problem.products * split.blocksPerProduct)
    var covered = [Int](repeating: 0, count: problem.rows * problem.columns)
    for block in 0..<split.blocksPerProduct {
        let (rows, columns) = split.block(block)
        #expect(!rows.isEmpty && !columns.isEmpty, "block \(block) of \(problem) is empty")
        #expect(block == 0 || (rows.lowerBound % 16 == 0 && columns.lowerBound % 16 == 0), "block \(block) of \(problem) starts off a multiple of 16")
        for row in rows { for column in columns { covered[row * problem.columns + column] += 1 } }
    }
    #expect(covered.allSatisfy { $0 == 1 }, "the blocks of \(problem) do not tile the product exactly once")
}

@Test func largeProductsAreSplitOverThePool() {
    let split = GEMMSplit(products: 1, rows: 2048, columns: 512, depth: 128, threads: 2)
    #expect(split.blocksPerProduct >= 2)
    let wide = GEMMSplit(products: 1, rows: 40, columns: 600, depth: 96, threads: 2)
    #expect(wide.blocksPerProduct >= 2 && wide.block(0).rows == 0..<40, "a wide product splits its columns")
    let tiny = GEMMSplit(products: 4, rows: 8, columns: 8, depth: 8, threads: 2)
    #expect(tiny.blocksPerProduct == 1 && tiny.minimumChunk >= 4, "tiny products stay on one thread")
}

@Test(arguments: [
    ("folded rows", [2, 300, 96], [96, 40], false, false),
    ("wide columns", [40, 96], [96, 300], false, false),
    ("batched, left transposed", [3, 64, 160], [3, 64, 144], true, false),
    ("batched, right transposed", [3, 160, 64], [3, 144, 64], false, true),
    ("wide, both transposed", [96, 40], [300, 96], true, true),
])
func splitProductsMatchTheInterpreter(_ example: (name: String, a: [Int], b: [Int], transposesLeft: Bool, transposesRight: Bool)) throws {
    let device = try CPUTestDevice.shared()
    let builder = GraphBuilder(name: "split")
    let a = builder.parameter(TensorType(.f32, Shape(example.a)), name: "a")
    let b = builder.parameter(TensorType(.f32, Shape(example.b)), name: "b")
    func swapLastTwo(_ value: Value, rank: Int) throws(KIRError) -> Value {
        try builder.permute(value, Array(0..<(rank - 2)) + [rank - 1, rank - 2])
    }
    let left = example.transposesLeft ? try swapLastTwo(a, rank: example.a.count) : a
    let right = example.transposesRight ? try swapLastTwo(b, rank: example.b.count) : b
    let graph = builder.build(returning: [try builder.matmul(left, right)])
    let schedule = Fusion.schedule(graph, options: device.fusionOptions)
    #expect(schedule.kernels.count == 1, "the transposes reach OpenBLAS as flags: \(schedule.text)")
    let inputs = TestInputs.random(for: graph, seed: 9)
    expectMatches(try device.evaluate(schedule, on: inputs), try Interpreter().run(graph, inputs: inputs),
                  reductionLength: Tolerance.reductionLength(of: graph), "\(example.name) on \(device.id)")
}
