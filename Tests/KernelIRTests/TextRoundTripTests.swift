import Testing
@testable import KernelIR

@Test(arguments: PrimitiveCatalog.cases)
func printedModuleParsesBackEqual(_ example: PrimitiveCase) throws {
    let module = Module(functions: [example.graph])
    let text = module.text
    let parsed = try Module(parsing: text)
    #expect(parsed == module)
    #expect(parsed.text == text)
    try Verifier.verify(parsed)
}

@Test func canonicalTextPrintsBackUnchanged() throws {
    let text = """
    // Adds one to every element.
    //
    // Shapes are static.
    func @increment(%x: f32[2, 3]) -> (f32[2, 3]) {
      %one = constant() {value = 1.0} : f32[2, 3]
      %y = add(%x, %one) : f32[2, 3]
      return %y
    }

    func @pair(%a: i32[], %b: bool[4]) -> (bool[4], i32[]) {
      return %b, %a
    }

    """
    let module = try Module(parsing: text)
    #expect(module.text == text)
    #expect(module.functions[0].documentation == "Adds one to every element.\n\nShapes are static.")
    #expect(module.function(named: "pair")?.results.count == 2)
}

@Test func literalsRoundTripExactly() throws {
    let builder = GraphBuilder(name: "literals")
    let values: [Double] = [0.1, -1e-45, 3.4028234663852886e38, .infinity, -.infinity, 1e-06, 123456789]
    let c = try builder.constant(values, TensorType(.f32, [7]))
    let module = Module(functions: [builder.build(returning: [c])])
    let parsed = try Module(parsing: module.text)
    #expect(parsed == module)
    let nanBuilder = GraphBuilder(name: "nan")
    let n = try nanBuilder.constant(.nan, TensorType(.f16, []))
    let nanText = Module(functions: [nanBuilder.build(returning: [n])]).text
    #expect(nanText.contains("{value = nan}"))
    #expect(try Module(parsing: nanText).text == nanText)
}

@Test func builderNamesAreUniqueAndPrintable() throws {
    let builder = GraphBuilder(name: "names")
    let x = builder.parameter(TensorType(.f32, [2]), name: "x")
    let y = try builder.emit(.unary(.exp), [x], name: "x")
    let z = try builder.add(x, y)
    let graph = builder.build(returning: [z])
    #expect(Set(graph.instructions.map(\.name) + ["x"]).count == 3)
    #expect(try Module(parsing: Module(functions: [graph]).text).functions[0] == graph)
}
