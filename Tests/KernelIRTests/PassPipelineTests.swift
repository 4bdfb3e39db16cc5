import Testing
@testable import KernelIR

@Suite struct PassPipelineTests {
    /// A graph that needs every pass, and passes in a loop: `%unit` is `1` only once folded, and
    /// `%x * %unit` simplifies in the next round.
    static let redundant = """
    // Redundant on purpose.
    func @f(%x: f32[2, 3], %w: f32[3, 4]) -> (f32[2, 4], f32[2, 4]) {
      %two = constant() {value = 2.0} : f32[]
      %half = constant() {value = 0.5} : f32[]
      %unit_scalar = mul(%two, %half) : f32[]
      %unit = broadcast(%unit_scalar) {shape = [2, 3]} : f32[2, 3]
      %scaled = mul(%x, %unit) : f32[2, 3]
      %flat = reshape(%scaled) {shape = [6]} : f32[6]
      %again = reshape(%flat) {shape = [2, 3]} : f32[2, 3]
      %t = permute(%w) {permutation = [1, 0]} : f32[4, 3]
      %tt = permute(%t) {permutation = [1, 0]} : f32[3, 4]
      %product = matmul(%again, %tt) : f32[2, 4]
      %product_again = matmul(%x, %w) : f32[2, 4]
      %bias_values = constant() {values = [1.0, 2.0, 3.0, 4.0]} : f32[4]
      %bias_shift = constant() {value = -1.0} : f32[4]
      %bias = add(%bias_values, %bias_shift) : f32[4]
      %bias_wide = broadcast(%bias) {shape = [2, 4]} : f32[2, 4]
      %y = add(%product, %bias_wide) : f32[2, 4]
      %z = add(%product_again, %bias_wide) : f32[2, 4]
      %unused = exp(%z) : f32[2, 4]
      return %y, %z
    }
    """

    @Test func standardPipelineRemovesAllRedundancy() throws {
        let graph = try parsedFunction(Self.redundant)
        let result = try graph.optimized()
        #expect(result.text == (try canonicalText("""
        // Redundant on purpose.
        func @f(%x: f32[2, 3], %w: f32[3, 4]) -> (f32[2, 4], f32[2, 4]) {
          %product = matmul(%x, %w) : f32[2, 4]
          %bias = constant() {values = [0.0, 1.0, 2.0, 3.0]} : f32[4]
          %bias_wide = broadcast(%bias) {shape = [2, 4]} : f32[2, 4]
          %y = add(%product, %bias_wide) : f32[2, 4]
          return %y, %y
        }
        """)))
        try expectUnchangedResults(graph, result)
    }

    @Test func secondRunChangesNothing() throws {
        let graphs = try [parsedFunction(Self.redundant)] + PrimitiveCatalog.cases.map(\.graph) + kernelLibraryFunctions()
        for graph in graphs {
            let once = try graph.optimized()
            let twice = try once.optimized()
            #expect(twice.text == once.text, "@\(graph.name)")
            for pass in NamedPass.all {
                #expect(pass.pass.run(once).text == once.text, "@\(graph.name) changed by \(pass.testDescription)")
            }
        }
    }

    @Test(arguments: PrimitiveCatalog.cases)
    func catalogResultsAreUnchanged(_ example: PrimitiveCase) throws {
        let result = try example.graph.optimized()
        #expect(result.instructions.count <= example.graph.instructions.count)
        try expectUnchangedResults(example.graph, result, domain: example.domain)
    }

    @Test(arguments: PrimitiveCatalog.cases, NamedPass.all)
    func everyPassKeepsCatalogResults(_ example: PrimitiveCase, _ pass: NamedPass) throws {
        try expectUnchangedResults(example.graph, pass.pass.run(example.graph), domain: example.domain, seeds: [0])
    }

    @Test func kernelLibraryResultsAreUnchanged() throws {
        let kernels = try kernelLibraryFunctions()
        #expect(!kernels.isEmpty)
        for graph in kernels {
            let result = try graph.optimized()
            #expect(result.instructions.count <= graph.instructions.count, "@\(graph.name)")
            try expectUnchangedResults(graph, result, domain: .positive)
            for pass in NamedPass.all {
                try expectUnchangedResults(graph, pass.pass.run(graph), domain: .positive, seeds: [0])
            }
        }
    }

    @Test func iterationsAreBounded() throws {
        let graph = try parsedFunction(Self.redundant)
        // One round cannot see that %unit is 1 (it is folded after simplification ran).
        let oneRound = try PassPipeline(PassPipeline.standard.passes, maximumIterations: 1).run(graph)
        #expect(opMnemonics(oneRound).contains("mul"))
        try expectUnchangedResults(graph, oneRound)
        #expect(try PassPipeline([], maximumIterations: 3).run(graph).text == graph.text)
    }

    @Test func malformedGraphsAreRejectedNotRewritten() throws {
        var graph = try parsedFunction(Self.redundant)
        graph.instructions[2].operands = [Value(index: 40), Value(index: 3)]
        let error = #expect(throws: KIRError.self) { try graph.optimized() }
        #expect(error == .malformedGraph(function: "f", reason: "%unit_scalar uses value #40, which is not defined before it"))
    }
}
