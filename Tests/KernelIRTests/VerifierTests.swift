import Testing
@testable import KernelIR

private func sampleGraph() throws -> Graph {
    let builder = GraphBuilder(name: "g")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    let y = try builder.exp(x)
    return builder.build(returning: [try builder.add(x, y)])
}

@Test func builtGraphsVerify() throws {
    try Verifier.verify(try sampleGraph())
    try Verifier.verify(Module(functions: PrimitiveCatalog.cases.map(\.graph)))
}

@Test func useBeforeDefinitionIsRejected() throws {
    var graph = try sampleGraph()
    graph.instructions[0].operands = [Value(index: 2)]
    let error = #expect(throws: KIRError.self) { try Verifier.verify(graph) }
    #expect(error == .malformedGraph(function: "g", reason: "%1 uses value #2, which is not defined before it"))
}

@Test func staleResultTypeIsRejected() throws {
    var graph = try sampleGraph()
    graph.instructions[0].type = TensorType(.f16, [2])
    let error = #expect(throws: KIRError.self) { try Verifier.verify(graph) }
    #expect(error?.description == "<builder>: 'exp' defining %1: result is written as f16[2] but the operands give f32[2]")
}

@Test func danglingResultAndRepeatedNamesAreRejected() throws {
    var graph = try sampleGraph()
    graph.results = [Value(index: 9)]
    #expect(throws: KIRError.malformedGraph(function: "g", reason: "returns value #9, which the function does not define")) {
        try Verifier.verify(graph)
    }
    var renamed = try sampleGraph()
    renamed.instructions[1].name = "x"
    #expect(throws: KIRError.redefinedValue("x", at: .generated)) { try Verifier.verify(renamed) }
}

@Test func builderReportsShapeErrorsWithTheValueName() throws {
    let builder = GraphBuilder(name: "bad")
    let x = builder.parameter(TensorType(.f32, [2, 3]), name: "x")
    let error = #expect(throws: KIRError.self) { try builder.emit(.matmul, [x, x], name: "product") }
    #expect(error?.description == "<builder>: 'matmul' defining %product: needs a right operand with 3 rows to match the left operand [2, 3], got [2, 3]; insert a broadcast or reshape")
}
