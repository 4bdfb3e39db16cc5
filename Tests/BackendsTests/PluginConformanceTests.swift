import Foundation
import KernelIR
import Testing
@testable import Backends

// Every primitive and every kernel of `Kernels/`, scheduled, serialized, compiled by the example
// plugin and run on plugin:example:0, matches the reference interpreter within the dtype's
// tolerance; the special cases whose results are exact on cpu:0 are exact here too.

@Test(arguments: PrimitiveCatalog.cases)
func primitiveMatchesTheInterpreterOnThePlugin(_ example: PrimitiveCase) throws {
    let device = try ExamplePlugin.device()
    for seed in [0, 3] {
        let inputs = example.inputs(seed: seed)
        let expected = try Interpreter().run(example.graph, inputs: inputs)
        let actual = try device.evaluate(Fusion.schedule(example.graph), on: inputs, synchronously: seed == 3)
        expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: example.graph), "\(example) seed \(seed) on \(device.id)")
    }
}

@Test(arguments: KernelFiles.names)
func kernelLibraryFunctionMatchesTheInterpreterOnThePlugin(_ file: String) throws {
    let device = try ExamplePlugin.device()
    for graph in try KernelFiles.module(file).functions {
        let inputs = TestInputs.random(for: graph, positive: true, seed: 4)
        let expected = try Interpreter().run(graph, inputs: inputs)
        let actual = try device.evaluate(Fusion.schedule(graph), on: inputs)
        expectMatches(actual, expected, reductionLength: Tolerance.reductionLength(of: graph), "\(file) @\(graph.name) on \(device.id)")
    }
}

@Test(arguments: SpecialCase.all)
func specialCaseMatchesTheInterpreterOnThePlugin(_ example: SpecialCase) throws {
    let device = try ExamplePlugin.device()
    let expected = try Interpreter().run(example.graph, inputs: example.inputs)
    let actual = try device.evaluate(Fusion.schedule(example.graph), on: example.inputs)
    try #require(actual.count == expected.count)
    for (position, (got, want)) in zip(actual, expected).enumerated() {
        if example.isExact {
            #expect(got.deviceBytes == want.deviceBytes, "\(example.name) result \(position): \(got) != \(want) bit for bit")
        } else {
            let problems = Tolerance(for: want.dtype, reductionLength: Tolerance.reductionLength(of: example.graph)).mismatches(got, want)
            #expect(problems.isEmpty, "\(example.name) result \(position): \(problems.joined(separator: "; "))")
        }
    }
}

@Test(arguments: ContractionCase.all)
func contractionMatchesTheInterpreterOnThePlugin(_ example: ContractionCase) throws {
    let device = try ExamplePlugin.device()
    let inputs = TestInputs.random(for: example.graph, seed: 11)
    let expected = try Interpreter().run(example.graph, inputs: inputs)
    expectMatches(try device.evaluate(Fusion.schedule(example.graph), on: inputs), expected, reductionLength: 100, "\(example.name) on \(device.id)")
}
