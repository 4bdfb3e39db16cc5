import Foundation
import Testing
@testable import KernelIR

/// The one function of a `.kir` text.
func parsedFunction(_ text: String) throws -> Graph {
    try #require(try Module(parsing: text).functions.first)
}

/// The canonical text of `text`'s function, for comparing a pass's output with a written expectation.
func canonicalText(_ text: String) throws -> String {
    try parsedFunction(text).text
}

/// Whether two tensors hold the same type and the same elements bit for bit: NaN matches NaN, and
/// `-0.0` does not match `0.0` in floating dtypes (`i32` and `bool` compare by value, having no
/// signed zero).
func areBitIdentical(_ a: TensorValue, _ b: TensorValue) -> Bool {
    guard a.type == b.type else { return false }
    return zip(a.scalars, b.scalars).allSatisfy { x, y in
        if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
        return a.dtype.isFloatingPoint ? x.bitPattern == y.bitPattern : x == y
    }
}

/// Checks that `rewritten` verifies and gives the same results as `original`, bit for bit, on seeded inputs.
func expectUnchangedResults(_ original: Graph, _ rewritten: Graph, domain: PrimitiveCase.Domain = .signed,
                       seeds: [Int] = [0, 1, 2], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    try Verifier.verify(rewritten)
    #expect(rewritten.parameters == original.parameters, sourceLocation: sourceLocation)
    #expect(rewritten.resultTypes == original.resultTypes, sourceLocation: sourceLocation)
    let example = PrimitiveCase(name: original.name, graph: original, domain: domain)
    for seed in seeds {
        let inputs = example.inputs(seed: seed)
        let expected = try Interpreter().run(original, inputs: inputs)
        let actual = try Interpreter().run(rewritten, inputs: inputs)
        try #require(actual.count == expected.count, sourceLocation: sourceLocation)
        for (position, (want, got)) in zip(expected, actual).enumerated() {
            #expect(areBitIdentical(want, got), "@\(original.name) result \(position), seed \(seed): \(got) != \(want)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// The mnemonics of a graph's instructions, in order.
func opMnemonics(_ graph: Graph) -> [String] { graph.instructions.map(\.op.mnemonic) }

/// A pass and a readable label, for parameterised tests.
struct NamedPass: CustomTestStringConvertible, Sendable {
    let pass: any GraphPass
    let testDescription: String

    init(_ pass: any GraphPass, _ label: String? = nil) {
        self.pass = pass
        testDescription = label ?? pass.name
    }

    /// Every pass, simplification under both sign-of-zero policies.
    static let all = [
        NamedPass(AlgebraicSimplification()), NamedPass(AlgebraicSimplification(preservesSignOfZero: true), "simplify exact"),
        NamedPass(ConstantFolding()), NamedPass(CommonSubexpressionElimination()), NamedPass(DeadCodeElimination()),
    ]
}

/// Every function of the kernel library, `Kernels/*.kir`, by file and name.
func kernelLibraryFunctions() throws -> [Graph] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let folder = root.appendingPathComponent("Kernels")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".kir") }.sorted()
    return try files.flatMap { file in
        try Module(parsing: String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)).functions
    }
}
