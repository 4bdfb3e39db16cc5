import Testing
@testable import KernelIR

@Suite struct CommonSubexpressionEliminationPassTests {
    @Test func mergesRepeatedSubtreesInOneRun() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2, 3], %y: f32[2, 3]) -> (f32[2, 3]) {
          %a = exp(%x) : f32[2, 3]
          %b = exp(%x) : f32[2, 3]
          %sa = add(%a, %y) : f32[2, 3]
          %sb = add(%b, %y) : f32[2, 3]
          %swapped = add(%y, %a) : f32[2, 3]
          %p = mul(%sa, %sb) : f32[2, 3]
          %q = mul(%p, %swapped) : f32[2, 3]
          return %q
        }
        """)
        let result = CommonSubexpressionElimination().run(graph)
        // %sb's operands become %a's after %b merges into %a, so %sb merges into %sa; operand order
        // counts (add is not canonicalised), so %swapped stays.
        #expect(result.text == (try canonicalText("""
        func @f(%x: f32[2, 3], %y: f32[2, 3]) -> (f32[2, 3]) {
          %a = exp(%x) : f32[2, 3]
          %sa = add(%a, %y) : f32[2, 3]
          %swapped = add(%y, %a) : f32[2, 3]
          %p = mul(%sa, %sa) : f32[2, 3]
          %q = mul(%p, %swapped) : f32[2, 3]
          return %q
        }
        """)))
        try expectUnchangedResults(graph, result)
    }

    @Test func attributesMustMatchBitForBit() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2, 3]) -> (f32[3], f32[3], f32[2], f32[2, 3], f32[2, 3], f32[2, 3], f32[2, 3], f32[2, 3], f32[2, 3], f32[2, 3], f32[2, 3]) {
          %r0 = reduce_sum(%x) {axes = [0], keep_dims = false} : f32[3]
          %r1 = reduce_sum(%x) {axes = [0], keep_dims = false} : f32[3]
          %r2 = reduce_sum(%x) {axes = [1], keep_dims = false} : f32[2]
          %zero = constant() {value = 0.0} : f32[2, 3]
          %zero_again = constant() {value = 0.0} : f32[2, 3]
          %negative_zero = constant() {value = -0.0} : f32[2, 3]
          %noise = random_uniform() {seed = 1} : f32[2, 3]
          %noise_again = random_uniform() {seed = 1} : f32[2, 3]
          %other_noise = random_uniform() {seed = 2} : f32[2, 3]
          %nan = constant() {value = nan} : f32[2, 3]
          %nan_again = constant() {value = nan} : f32[2, 3]
          return %r0, %r1, %r2, %zero, %zero_again, %negative_zero, %noise, %noise_again, %other_noise, %nan, %nan_again
        }
        """)
        let result = CommonSubexpressionElimination().run(graph)
        // Literals compare bit for bit: identical NaNs merge, 0.0 and -0.0 do not.
        #expect(result.instructions.map(\.name) == ["r0", "r2", "zero", "negative_zero", "noise", "other_noise", "nan"])
        #expect(result.results.map { result.name(of: $0) }
                == ["r0", "r0", "r2", "zero", "zero", "negative_zero", "noise", "noise", "other_noise", "nan", "nan"])
        try expectUnchangedResults(graph, result)
    }

    @Test func mergedConstantsAcrossTypesStayApart() throws {
        let graph = try parsedFunction("""
        func @f() -> (f32[2], f16[2], f32[3]) {
          %a = constant() {value = 1.0} : f32[2]
          %b = constant() {value = 1.0} : f16[2]
          %c = constant() {value = 1.0} : f32[3]
          return %a, %b, %c
        }
        """)
        #expect(CommonSubexpressionElimination().run(graph).instructions.count == 3)
    }
}
