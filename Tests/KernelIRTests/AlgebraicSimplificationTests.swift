import Testing
@testable import KernelIR

/// Simplification followed by dead-code elimination, which removes what the rewrites bypass.
private func simplified(_ graph: Graph, preservingSignOfZero: Bool = false) -> Graph {
    DeadCodeElimination().run(AlgebraicSimplification(preservesSignOfZero: preservingSignOfZero).run(graph))
}

@Suite struct AlgebraicSimplificationPassTests {
    @Test func arithmeticIdentitiesForwardTheOperand() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2, 3], %i: i32[4]) -> (f32[2, 3], i32[4]) {
          %one = constant() {value = 1.0} : f32[]
          %ones = broadcast(%one) {shape = [2, 3]} : f32[2, 3]
          %zero = constant() {value = 0.0} : f32[2, 3]
          %a = mul(%x, %ones) : f32[2, 3]
          %b = mul(%ones, %a) : f32[2, 3]
          %c = div(%b, %ones) : f32[2, 3]
          %d = add(%c, %zero) : f32[2, 3]
          %e = add(%zero, %d) : f32[2, 3]
          %f = sub(%e, %zero) : f32[2, 3]
          %int_zero = constant() {values = [0, 0, 0, 0]} : i32[4]
          %int_one = constant() {value = 1} : i32[4]
          %j = add(%i, %int_zero) : i32[4]
          %k = mul(%int_one, %j) : i32[4]
          return %f, %k
        }
        """)
        let result = simplified(graph)
        #expect(result.instructions.isEmpty)
        #expect(result.results == [Value(index: 0), Value(index: 1)])
        try expectUnchangedResults(graph, result)
    }

    @Test func onlyIdentitiesAreRewritten() throws {
        let text = """
        func @f(%x: f32[3], %y: f32[3]) -> (f32[3], f32[3], f32[3], f32[3], f32[3], f32[3], f32[3]) {
          %one = constant() {value = 1.0} : f32[3]
          %zero = constant() {value = 0.0} : f32[3]
          %two = constant() {value = 2.0} : f32[3]
          %mixed = constant() {values = [1.0, 1.0, 2.0]} : f32[3]
          %a = mul(%x, %two) : f32[3]
          %b = mul(%x, %zero) : f32[3]
          %c = div(%one, %x) : f32[3]
          %d = sub(%zero, %x) : f32[3]
          %e = pow(%x, %one) : f32[3]
          %f = mul(%x, %mixed) : f32[3]
          %g = add(%x, %y) : f32[3]
          return %a, %b, %c, %d, %e, %f, %g
        }
        """
        let graph = try parsedFunction(text)
        #expect(AlgebraicSimplification().run(graph).text == graph.text)
    }

    @Test func addingZeroFollowsTheSignOfZeroPolicy() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2]) -> (f32[2], f32[2], f32[2], f32[2]) {
          %zero = constant() {value = 0.0} : f32[2]
          %negative_zero = constant() {value = -0.0} : f32[2]
          %plus_zero = add(%x, %zero) : f32[2]
          %plus_negative_zero = add(%negative_zero, %x) : f32[2]
          %minus_zero = sub(%x, %zero) : f32[2]
          %minus_negative_zero = sub(%x, %negative_zero) : f32[2]
          return %plus_zero, %plus_negative_zero, %minus_zero, %minus_negative_zero
        }
        """)
        // By default all four become %x, as XLA does.
        #expect(simplified(graph).instructions.isEmpty)
        // Preserving the sign of zero keeps exactly the two that turn -0.0 into +0.0.
        let exact = simplified(graph, preservingSignOfZero: true)
        #expect(exact.text == (try canonicalText("""
        func @f(%x: f32[2]) -> (f32[2], f32[2], f32[2], f32[2]) {
          %zero = constant() {value = 0.0} : f32[2]
          %negative_zero = constant() {value = -0.0} : f32[2]
          %plus_zero = add(%x, %zero) : f32[2]
          %minus_negative_zero = sub(%x, %negative_zero) : f32[2]
          return %plus_zero, %x, %x, %minus_negative_zero
        }
        """)))
        // On x = -0.0 the difference shows: x + 0.0 is +0.0 in the original and the exact rewrite,
        // -0.0 after the default one. Every other bit agrees.
        let negativeZero = [TensorValue(TensorType(.f32, [2]), scalars: [-0.0, 1.5])]
        let original = try Interpreter().run(graph, inputs: negativeZero)
        let kept = try Interpreter().run(exact, inputs: negativeZero)
        let fast = try Interpreter().run(simplified(graph), inputs: negativeZero)
        #expect(zip(original, kept).allSatisfy(areBitIdentical))
        #expect(original[0].scalars[0].sign == .plus && fast[0].scalars[0].sign == .minus)
        #expect(original[0].scalars[0] == fast[0].scalars[0])
        try expectUnchangedResults(graph, exact)
        try expectUnchangedResults(graph, simplified(graph))
    }

    @Test func constantsAreComparedAfterRoundingToTheirDtype() throws {
        let graph = try parsedFunction("""
        func @f(%x: bf16[2]) -> (bf16[2], bf16[2]) {
          %nearly_one = constant() {value = 1.001} : bf16[2]
          %tiny = constant() {value = 1e-50} : bf16[2]
          %a = mul(%x, %nearly_one) : bf16[2]
          %b = add(%x, %tiny) : bf16[2]
          return %a, %b
        }
        """)
        // 1.001 rounds to 1 in bf16, and 1e-50 to 0.
        #expect(simplified(graph).instructions.isEmpty)
        try expectUnchangedResults(graph, simplified(graph))
    }

    @Test func movementChainsCollapse() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2, 3, 4]) -> (f32[4, 6], f32[2, 3, 4], f32[4, 2, 3], f32[2, 3, 4], f32[5, 2, 3, 4], f32[2, 3, 4], f32[2, 3, 4], f32[3, 4, 2]) {
          %r1 = reshape(%x) {shape = [6, 4]} : f32[6, 4]
          %r2 = reshape(%r1) {shape = [24]} : f32[24]
          %r3 = reshape(%r2) {shape = [4, 6]} : f32[4, 6]
          %back = reshape(%r1) {shape = [2, 3, 4]} : f32[2, 3, 4]
          %p1 = permute(%x) {permutation = [1, 2, 0]} : f32[3, 4, 2]
          %p2 = permute(%p1) {permutation = [1, 2, 0]} : f32[4, 2, 3]
          %p3 = permute(%p2) {permutation = [1, 2, 0]} : f32[2, 3, 4]
          %swap = permute(%x) {permutation = [1, 0, 2]} : f32[3, 2, 4]
          %rotate = permute(%swap) {permutation = [0, 2, 1]} : f32[3, 4, 2]
          %b1 = broadcast(%x) {shape = [1, 2, 3, 4]} : f32[1, 2, 3, 4]
          %b2 = broadcast(%b1) {shape = [5, 2, 3, 4]} : f32[5, 2, 3, 4]
          %same_shape = broadcast(%x) {shape = [2, 3, 4]} : f32[2, 3, 4]
          %same_dtype = cast(%x) {to = f32} : f32[2, 3, 4]
          return %r3, %back, %p2, %p3, %b2, %same_shape, %same_dtype, %rotate
        }
        """)
        let result = simplified(graph)
        #expect(result.text == (try canonicalText("""
        func @f(%x: f32[2, 3, 4]) -> (f32[4, 6], f32[2, 3, 4], f32[4, 2, 3], f32[2, 3, 4], f32[5, 2, 3, 4], f32[2, 3, 4], f32[2, 3, 4], f32[3, 4, 2]) {
          %r3 = reshape(%x) {shape = [4, 6]} : f32[4, 6]
          %p2 = permute(%x) {permutation = [2, 0, 1]} : f32[4, 2, 3]
          %rotate = permute(%x) {permutation = [1, 2, 0]} : f32[3, 4, 2]
          %b2 = broadcast(%x) {shape = [5, 2, 3, 4]} : f32[5, 2, 3, 4]
          return %r3, %x, %p2, %x, %b2, %x, %x, %rotate
        }
        """)))
        try expectUnchangedResults(graph, result)
    }

    @Test func splatConstantsAbsorbBroadcastsAndSelectsResolve() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[2, 3], %y: f32[2, 3]) -> (f32[2, 3], f32[2, 3], f32[2, 3], i32[3]) {
          %half = constant() {value = 0.5} : f32[3]
          %wide = broadcast(%half) {shape = [2, 3]} : f32[2, 3]
          %scaled = mul(%x, %wide) : f32[2, 3]
          %yes = constant() {value = true} : bool[2, 3]
          %picked = select(%yes, %x, %y) : f32[2, 3]
          %cond = lt(%x, %y) : bool[2, 3]
          %either = select(%cond, %y, %y) : f32[2, 3]
          %sevens = constant() {values = [7, 7, 7]} : i32[3]
          return %scaled, %picked, %either, %sevens
        }
        """)
        let result = simplified(graph)
        #expect(result.text == (try canonicalText("""
        func @f(%x: f32[2, 3], %y: f32[2, 3]) -> (f32[2, 3], f32[2, 3], f32[2, 3], i32[3]) {
          %wide = constant() {value = 0.5} : f32[2, 3]
          %scaled = mul(%x, %wide) : f32[2, 3]
          %sevens = constant() {value = 7} : i32[3]
          return %scaled, %x, %y, %sevens
        }
        """)))
        try expectUnchangedResults(graph, result)
    }
}
