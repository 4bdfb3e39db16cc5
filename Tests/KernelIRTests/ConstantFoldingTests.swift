import Testing
@testable import KernelIR

@Suite struct ConstantFoldingPassTests {
    @Test func foldsChainsOfSmallConstants() throws {
        let graph = try parsedFunction("""
        func @f(%x: f32[3]) -> (f32[3], f32[]) {
          %a = constant() {values = [1.0, 2.0, 3.0]} : f32[3]
          %b = constant() {values = [10.0, 20.0, 30.0]} : f32[3]
          %s = add(%a, %b) : f32[3]
          %total = reduce_sum(%s) {axes = [0], keep_dims = false} : f32[]
          %y = mul(%x, %s) : f32[3]
          return %y, %total
        }
        """)
        let folded = ConstantFolding().run(graph)
        #expect(opMnemonics(folded) == ["constant", "constant", "constant", "constant", "mul"])
        #expect(DeadCodeElimination().run(folded).text == (try canonicalText("""
        func @f(%x: f32[3]) -> (f32[3], f32[]) {
          %s = constant() {values = [11.0, 22.0, 33.0]} : f32[3]
          %total = constant() {value = 66.0} : f32[]
          %y = mul(%x, %s) : f32[3]
          return %y, %total
        }
        """)))
        try expectUnchangedResults(graph, folded)
    }

    @Test func foldsSplatsAtAnySize() throws {
        // 65,536 elements, far over the limit, but every operand is a splat: one element is evaluated.
        let graph = try parsedFunction("""
        func @f() -> (f32[256, 256], bool[256, 256], f16[256, 256]) {
          %zero = constant() {value = 0.0} : f32[]
          %wide = broadcast(%zero) {shape = [256, 256]} : f32[256, 256]
          %one = exp(%wide) : f32[256, 256]
          %positive = gt(%one, %wide) : bool[256, 256]
          %tenth = constant() {value = 0.1} : f32[256, 256]
          %half = cast(%tenth) {to = f16} : f16[256, 256]
          return %one, %positive, %half
        }
        """)
        let result = DeadCodeElimination().run(ConstantFolding().run(graph))
        #expect(result.text == (try canonicalText("""
        func @f() -> (f32[256, 256], bool[256, 256], f16[256, 256]) {
          %one = constant() {value = 1.0} : f32[256, 256]
          %positive = constant() {value = true} : bool[256, 256]
          %half = constant() {value = 0.0999755859375} : f16[256, 256]
          return %one, %positive, %half
        }
        """)))
        try expectUnchangedResults(graph, result, seeds: [0])
    }

    @Test func leavesLargeRandomAndIotaOnlyInstructions() throws {
        let graph = try parsedFunction("""
        func @f() -> (f32[100, 100], f32[4], f32[4], bool[2, 3], f32[2, 3], f32[3], i32[2, 3]) {
          %grid = iota() {axis = 1} : f32[100, 100]
          %one = constant() {value = 1.0} : f32[100, 100]
          %big = add(%grid, %one) : f32[100, 100]
          %noise = random_uniform() {seed = 5} : f32[4]
          %negated = neg(%noise) : f32[4]
          %rows = iota() {axis = 0} : i32[2, 3]
          %columns = iota() {axis = 1} : i32[2, 3]
          %mask = lt(%rows, %columns) : bool[2, 3]
          %row = constant() {values = [1.0, 2.0, 3.0]} : f32[3]
          %tiled = broadcast(%row) {shape = [2, 3]} : f32[2, 3]
          return %big, %noise, %negated, %mask, %tiled, %row, %rows
        }
        """)
        let result = ConstantFolding().run(graph)
        // 10,000 elements is over the default limit of 4,096; random, bare iota, iota-only masks and
        // broadcasts of non-splat constants are never folded.
        #expect(result.text == graph.text)
        let generous = ConstantFolding(maximumElementCount: 20_000).run(graph)
        #expect(opMnemonics(generous).filter { $0 == "add" }.isEmpty)
        try expectUnchangedResults(graph, generous, seeds: [0])
    }

    @Test func foldsMixedConstantAndIotaOperands() throws {
        let graph = try parsedFunction("""
        func @f(%x: i32[2, 3]) -> (i32[2, 3]) {
          %columns = iota() {axis = 1} : i32[2, 3]
          %offsets = constant() {values = [10, 20, 30, 40, 50, 60]} : i32[2, 3]
          %sum = add(%columns, %offsets) : i32[2, 3]
          %y = mul(%x, %sum) : i32[2, 3]
          return %y
        }
        """)
        let result = DeadCodeElimination().run(ConstantFolding().run(graph))
        #expect(result.text == (try canonicalText("""
        func @f(%x: i32[2, 3]) -> (i32[2, 3]) {
          %sum = constant() {values = [10, 21, 32, 40, 51, 62]} : i32[2, 3]
          %y = mul(%x, %sum) : i32[2, 3]
          return %y
        }
        """)))
        try expectUnchangedResults(graph, result)
    }

    @Test func splatsOnlyWhenElementsMatchBitForBit() throws {
        let graph = try parsedFunction("""
        func @f() -> (f32[2], i32[2], f32[2]) {
          %signs = constant() {values = [1.0, -1.0]} : f32[2]
          %zero = constant() {value = 0.0} : f32[2]
          %zeros = mul(%signs, %zero) : f32[2]
          %halves = constant() {values = [-0.5, 0.5]} : f32[2]
          %truncated = cast(%halves) {to = i32} : i32[2]
          %nans = constant() {values = [nan, nan]} : f32[2]
          %still_nan = add(%nans, %signs) : f32[2]
          return %zeros, %truncated, %still_nan
        }
        """)
        let result = DeadCodeElimination().run(ConstantFolding().run(graph))
        // 0.0 and -0.0 differ, so the product stays a list; both i32 zeros are 0 (an integer has no
        // -0); NaNs are one bit pattern here, so they splat.
        #expect(result.text == (try canonicalText("""
        func @f() -> (f32[2], i32[2], f32[2]) {
          %zeros = constant() {values = [0.0, -0.0]} : f32[2]
          %truncated = constant() {value = 0} : i32[2]
          %still_nan = constant() {value = nan} : f32[2]
          return %zeros, %truncated, %still_nan
        }
        """)))
        try expectUnchangedResults(graph, result, seeds: [0])
    }

    @Test func foldsEveryOpKind() throws {
        let graph = try parsedFunction("""
        func @f() -> (f32[3, 2], f32[2, 3], f32[1, 2], f32[2, 6], f32[3, 4], f32[2, 2], f32[1, 3, 1], bf16[2, 3], f32[2, 3]) {
          %a = constant() {values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]} : f32[2, 3]
          %b = constant() {values = [0.5, -1.0, 2.0, 0.25, 3.0, -2.0]} : f32[3, 2]
          %cond = constant() {values = [true, false, true, false, true, false]} : bool[2, 3]
          %t = permute(%a) {permutation = [1, 0]} : f32[3, 2]
          %r = reshape(%b) {shape = [2, 3]} : f32[2, 3]
          %s = slice(%a) {start = [1, 0], limit = [2, 3], stride = [1, 2]} : f32[1, 2]
          %c = concat(%a, %r) {axis = 1} : f32[2, 6]
          %p = pad(%a) {low = [1, 0], high = [0, 1], value = 9.0} : f32[3, 4]
          %m = matmul(%a, %b) : f32[2, 2]
          %k = constant() {values = [1.0, -1.0]} : f32[2, 1, 1]
          %input = reshape(%a) {shape = [1, 3, 2]} : f32[1, 3, 2]
          %filter = reshape(%k) {shape = [1, 2, 1]} : f32[1, 2, 1]
          %v = conv(%input, %filter) {stride = [1], padding_low = [0], padding_high = [0], dilation = [1], groups = 1} : f32[1, 3, 1]
          %h = cast(%a) {to = bf16} : bf16[2, 3]
          %e = select(%cond, %a, %r) : f32[2, 3]
          return %t, %r, %s, %c, %p, %m, %v, %h, %e
        }
        """)
        let result = DeadCodeElimination().run(ConstantFolding().run(graph))
        #expect(Set(opMnemonics(result)) == ["constant"])
        #expect(result.instructions.count == 9)
        try expectUnchangedResults(graph, result, seeds: [0])
    }
}
