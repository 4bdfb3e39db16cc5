import Foundation
import KernelIR
import Testing
@testable import Backends

// The OpenCL kernels beyond what the catalog reaches: every GEMM tile shape (local-memory tiles
// and direct register blocks) on odd sizes, batches, dtypes, fused epilogues and convolutions;
// work-group tree reductions; and the autotuner with its cache.

private let needsOpenCL = Testing.ConditionTrait.enabled(if: OpenCLTestDevice.isPresent || ProcessInfo.processInfo.environment["CI"] == "true",
                                                         "no OpenCL device (install pocl-opencl-icd)")

/// Tiles that take each path of the kernel: local tiles with and without remainders, direct blocks.
private let tiles: [GEMMTile] = [
    GEMMTile(rows: 16, columns: 16, depth: 8, itemRows: 2, itemColumns: 2, usesLocalMemory: true),
    GEMMTile(rows: 32, columns: 32, depth: 16, itemRows: 4, itemColumns: 2, usesLocalMemory: true),
    GEMMTile(rows: 8, columns: 32, depth: 1, itemRows: 4, itemColumns: 4, usesLocalMemory: false),
    GEMMTile(rows: 8, columns: 64, depth: 1, itemRows: 4, itemColumns: 2, usesLocalMemory: false, vectorWidth: 4),
]

@Test(.disabled(if: !OpenCLTestDevice.isPresent && ProcessInfo.processInfo.environment["CI"] != "true"), arguments: tiles)
func contractionsMatchTheInterpreterWithEveryTile(_ tile: GEMMTile) throws {
    let (device, cache) = try OpenCLTestDevice.isolated()
    defer { try? FileManager.default.removeItem(at: cache) }
    device.tuner.force(tile)
    let cases = ContractionCase.all + [
        ContractionCase.matmul("matmul f16 [5, 33] * [33, 17] with a sigmoid epilogue", .f16, [5, 33], [33, 17]) { b, x throws(KIRError) in try b.sigmoid(x) },
        ContractionCase.matmul("matmul f32 [2, 20, 12] * [12, 24] with relu (vector columns)", .f32, [2, 20, 12], [12, 24]) { b, x throws(KIRError) in
            try b.max(x, b.constant(0, TensorType(.f32, [2, 20, 24])))
        },
        ContractionCase.matmul("matmul f32 [70, 40] * [40, 9] + bias row", .f32, [70, 40], [40, 9]) { b, x throws(KIRError) in
            try b.add(x, b.broadcast(b.constant([1, 2, 3, 4, 5, 6, 7, 8, 9], TensorType(.f32, [9])), to: [70, 9]))
        },
    ]
    let executables = try device.compile(cases.map { Fusion.schedule($0.graph) })
    for (example, executable) in zip(cases, executables) {
        let inputs = TestInputs.random(for: example.graph, seed: 11)
        let expected = try Interpreter().run(example.graph, inputs: inputs)
        expectMatches(try ConformanceSuite.evaluate(executable, on: inputs, device: device), expected, reductionLength: 100, "\(example.name) with \(tile)")
    }
}

/// Reductions with long reduced extents and few outputs, which run as tree reductions.
private func treeReductions() throws -> [Graph] {
    var graphs: [Graph] = []
    for kind in ReduceKind.allCases {
        for dtype in [DType.f32, .bf16, .i32] {
            let builder = GraphBuilder(name: "tree_\(kind.rawValue)_\(dtype)")
            let x = builder.parameter(TensorType(dtype, [3, 130, 2]), name: "x")
            let scaled = dtype == .i32 ? x : try builder.exp(x)
            graphs.append(builder.build(returning: [try builder.reduce(kind, scaled, over: [0, 1])]))
        }
    }
    let builder = GraphBuilder(name: "tree_nan")
    let x = builder.parameter(TensorType(.f32, [200]), name: "x")
    graphs.append(builder.build(returning: [try builder.reduce(.max, try builder.log(x), over: [0])]))
    return graphs
}

@Test(needsOpenCL) func longReductionsRunAsWorkGroupTreesAndMatchTheInterpreter() throws {
    let device = try OpenCLTestDevice.shared()
    let graphs = try treeReductions()
    let schedules = graphs.map { Fusion.schedule($0) }
    let source = try OpenCLProgramSource(schedules, device: device.id, properties: device.properties) { _ in tiles[0] }
    #expect(source.plans.allSatisfy { $0.count == 1 && $0[0].localSize == [OpenCLProgramSource.treeWidth] })
    #expect(source.source.contains("barrier(CLK_LOCAL_MEM_FENCE);"))
    let executables = try device.compile(schedules)
    for (graph, executable) in zip(graphs, executables) {
        // Signed inputs: log of a negative element is NaN, which max must propagate.
        let inputs = TestInputs.random(for: graph, seed: 3)
        let expected = try Interpreter().run(graph, inputs: inputs)
        expectMatches(try ConformanceSuite.evaluate(executable, on: inputs, device: device), expected, reductionLength: 780, "\(graph.name)")
    }
}

@Test(needsOpenCL) func theTunerKeepsTheFastestCandidateInItsCache() throws {
    let (device, cache) = try OpenCLTestDevice.isolated()
    defer { try? FileManager.default.removeItem(at: cache) }
    let candidates = [tiles[0], tiles[2]]
    let environment = ["ACC_OPENCL_TUNE_MIN_MULTIPLY_ADDS": "1"]
    let tuner = GEMMTuner(directory: cache, identity: device.properties.compilerIdentity, environment: environment, candidates: candidates)
    let problem = try #require(GEMMProblem(op: .matmul, left: TensorType(.f32, [48, 40]), right: TensorType(.f32, [40, 56]), output: TensorType(.f32, [48, 56])))
    let chosen = tuner.tile(for: problem, on: device)
    #expect(candidates.contains(chosen))
    #expect(tuner.tunedTiles == [problem.shapeClass: chosen])
    #expect(FileManager.default.fileExists(atPath: tuner.cacheFile.path))
    // Another process (a new tuner) reads the cache instead of timing, even with tuning off.
    let reader = GEMMTuner(directory: cache, identity: device.properties.compilerIdentity,
                           environment: environment.merging(["ACC_OPENCL_TUNE": "off"]) { $1 }, candidates: [])
    #expect(reader.tile(for: problem, on: device) == chosen)
    // Another driver's results are not used.
    let other = GEMMTuner(directory: cache, identity: "device other\n", environment: ["ACC_OPENCL_TUNE": "off", "ACC_OPENCL_TUNE_MIN_MULTIPLY_ADDS": "1"])
    #expect(other.tunedTiles.isEmpty)
    #expect(problem.shapeClass == "f32 matmul b1 m64 n64 k64")
}
