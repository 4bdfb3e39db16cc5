import Testing
@testable import KernelIR

@Suite struct DeadCodeEliminationPassTests {
    static let source = """
    func @f(%x: f32[2, 3], %unused: f32[4]) -> (f32[2, 3], f32[3]) {
      %e = exp(%x) : f32[2, 3]
      %dead_neg = neg(%e) : f32[2, 3]
      %dead_noise = random_normal() {seed = 3} : f32[2, 3]
      %dead_sum = add(%dead_neg, %dead_noise) : f32[2, 3]
      %y = mul(%e, %x) : f32[2, 3]
      %r = reduce_sum(%y) {axes = [0], keep_dims = false} : f32[3]
      %dead_late = sqrt(%r) : f32[3]
      return %y, %r
    }
    """

    @Test func removesEveryInstructionNoResultReads() throws {
        let graph = try parsedFunction(Self.source)
        let result = DeadCodeElimination().run(graph)
        #expect(result.text == (try canonicalText("""
        func @f(%x: f32[2, 3], %unused: f32[4]) -> (f32[2, 3], f32[3]) {
          %e = exp(%x) : f32[2, 3]
          %y = mul(%e, %x) : f32[2, 3]
          %r = reduce_sum(%y) {axes = [0], keep_dims = false} : f32[3]
          return %y, %r
        }
        """)))
        // Values are renumbered densely: parameters 0 and 1, then the three survivors.
        #expect(result.instructions[1].operands == [Value(index: 2), Value(index: 0)])
        #expect(result.results == [Value(index: 3), Value(index: 4)])
        try expectUnchangedResults(graph, result)
    }

    @Test func keepsParametersAndMayRemoveEverything() throws {
        let graph = try parsedFunction("""
        func @passthrough(%a: i32[3], %b: bool[2]) -> (bool[2], i32[3]) {
          %c = constant() {value = 1} : i32[3]
          %d = add(%a, %c) : i32[3]
          return %b, %a
        }
        """)
        let result = DeadCodeElimination().run(graph)
        #expect(result.instructions.isEmpty)
        #expect(result.parameters == graph.parameters)
        #expect(result.results == [Value(index: 1), Value(index: 0)])
        try expectUnchangedResults(graph, result)
    }

    @Test func keepsDocumentationAndValuesReturnedTwice() throws {
        let graph = try parsedFunction("""
        // Documented.
        func @twice(%x: f32[2]) -> (f32[2], f32[2]) {
          %dead = exp(%x) : f32[2]
          %y = neg(%x) : f32[2]
          return %y, %y
        }
        """)
        let result = DeadCodeElimination().run(graph)
        #expect(result.documentation == "Documented.")
        #expect(opMnemonics(result) == ["neg"])
        #expect(result.results == [Value(index: 1), Value(index: 1)])
    }
}
