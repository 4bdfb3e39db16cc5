import Foundation
import KernelIR
import Testing
@testable import Backends

// The compiler driver: the on-disk cache, recovery from a damaged cache, the interpreter fallback
// without a compiler, and compiler errors.

private func geluSchedule() throws -> (graph: Graph, schedule: Schedule) {
    let graph = try #require(try KernelFiles.module("gelu_tanh.kir").functions.first)
    return (graph, Fusion.schedule(graph))
}

private func expectMatchesInterpreter(_ graph: Graph, _ schedule: Schedule, _ kernels: [any LoopKernel]) throws {
    let inputs = LoopKernelHarness.inputs(for: graph, seed: 5)
    let expected = try Interpreter().run(graph, inputs: inputs)
    let actual = try LoopKernelHarness.run(schedule, inputs: inputs, kernels: kernels)
    for (got, want) in zip(actual, expected) {
        #expect(Tolerance(for: want.dtype).mismatches(got, want).isEmpty)
    }
}

@Test func secondCompileOfTheSameScheduleHitsTheCache() throws {
    let (graph, schedule) = try geluSchedule()
    let kernels = CPUKernelCompiler.loopKernels(of: schedule)
    try LoopKernelHarness.withFreshCache { cache throws in
        let first = try LoopKernelHarness.compiler(cache: cache).build(kernels)
        #expect(!first.isCacheHit)
        let second = try LoopKernelHarness.compiler(cache: cache).build(kernels)
        #expect(second.isCacheHit)
        try expectMatchesInterpreter(graph, schedule, second.kernels)
        let entry = try #require(second.entry)
        #expect(FileManager.default.fileExists(atPath: entry.source.path))
    }
}

@Test func changingTheFlagsChangesTheCacheEntry() throws {
    let (_, schedule) = try geluSchedule()
    let kernels = CPUKernelCompiler.loopKernels(of: schedule)
    try LoopKernelHarness.withFreshCache { cache throws in
        let plain = try LoopKernelHarness.compiler(cache: cache).build(kernels)
        let flagged = try LoopKernelHarness.compiler(["ACC_CFLAGS": "-DACC_TEST_FLAG=1"], cache: cache).build(kernels)
        #expect(!flagged.isCacheHit)
        #expect(plain.entry?.library != flagged.entry?.library)
    }
}

/// Ways a cache entry can be damaged, each of which must lead to a rebuild.
enum CacheDamage: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case truncatedLibrary, garbageLibrary, missingManifest, editedSource

    var testDescription: String { rawValue }

    func apply(to entry: KernelCache.Entry) throws {
        switch self {
        case .truncatedLibrary:
            let bytes = try Data(contentsOf: entry.library)
            try bytes.prefix(bytes.count / 2).write(to: entry.library)
        case .garbageLibrary:
            try Data("not an ELF file".utf8).write(to: entry.library)
        case .missingManifest:
            try FileManager.default.removeItem(at: entry.manifest)
        case .editedSource:
            try Data("int broken(void) { return 1; }\n".utf8).write(to: entry.source)
        }
    }
}

@Test(arguments: CacheDamage.allCases)
func damagedCacheEntryIsRebuilt(_ damage: CacheDamage) throws {
    let (graph, schedule) = try geluSchedule()
    let kernels = CPUKernelCompiler.loopKernels(of: schedule)
    try LoopKernelHarness.withFreshCache { cache throws in
        let entry = try #require(try LoopKernelHarness.compiler(cache: cache).build(kernels).entry)
        try damage.apply(to: entry)
        let rebuilt = try LoopKernelHarness.compiler(cache: cache).build(kernels)
        #expect(!rebuilt.isCacheHit, "a \(damage) entry was trusted")
        try expectMatchesInterpreter(graph, schedule, rebuilt.kernels)
        #expect(try LoopKernelHarness.compiler(cache: cache).build(kernels).isCacheHit, "the rebuilt entry is not reused")
    }
}

@Test func missingCompilerFallsBackToTheInterpreterWithAWarning() throws {
    let (graph, schedule) = try geluSchedule()
    let compiler = LoopKernelHarness.compiler(["ACC_CC": "/nonexistent/acc-cc"])
    let warning = try #require(compiler.warning)
    #expect(warning.contains("ACC_CC names '/nonexistent/acc-cc'"))
    #expect(!warning.contains("\n"))
    let kernels = try compiler.compile(CPUKernelCompiler.loopKernels(of: schedule))
    #expect(kernels.allSatisfy { $0 is InterpretedLoopKernel })
    let inputs = LoopKernelHarness.inputs(for: graph, seed: 5)
    let actual = try LoopKernelHarness.run(schedule, inputs: inputs, kernels: kernels, chunks: 3)
    #expect(actual == (try Interpreter().run(graph, inputs: inputs)))
}

@Test func compilerFoundOnPathHasNoWarning() {
    #expect(LoopKernelHarness.compiler().warning == nil)
}

@Test func compilerErrorIsReportedWithItsLogAndSource() throws {
    let (_, schedule) = try geluSchedule()
    try LoopKernelHarness.withFreshCache { cache throws in
        let compiler = LoopKernelHarness.compiler(["ACC_CFLAGS": "-fno-such-acc-flag"], cache: cache)
        let error = #expect(throws: BackendError.self) {
            try compiler.compile(CPUKernelCompiler.loopKernels(of: schedule))
        }
        guard case let .compilationFailed(device, kernel, log, source) = error else {
            Issue.record("expected compilationFailed, got \(String(describing: error))")
            return
        }
        #expect(device == "cpu:0")
        #expect(kernel == "y")
        #expect(log.contains("-fno-such-acc-flag"))
        #expect(try String(contentsOfFile: source, encoding: .utf8).contains("acc_k0_y"))
        #expect(error?.description.hasPrefix("cpu:0: kernel 'y' failed to compile (source saved at \(source)):\n") == true)
    }
}

@Test func emptyKernelListCompilesToNothing() throws {
    try LoopKernelHarness.withFreshCache { cache throws in
        #expect(try LoopKernelHarness.compiler(cache: cache).compile([]).isEmpty)
    }
}
