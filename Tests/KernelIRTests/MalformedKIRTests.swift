import Testing
@testable import KernelIR

/// A malformed `.kir` input, the error it must raise, and the message users read.
struct MalformedKIR: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var error: KIRError
    var testDescription: String { name }

    init(_ name: String, text: String, _ error: KIRError) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.error = error
    }

    init(_ name: String, bytes: [UInt8], _ error: KIRError) {
        self.name = name
        self.bytes = bytes
        self.error = error
    }

    /// A function of `%x: f32[2, 3], %i: i32[2, 3], %v: f32[3]` whose body starts on line 2.
    init(_ name: String, body: String, returning result: String = "%y", type: String = "f32[2, 3]", _ error: KIRError) {
        self.init(name, text: "func @f(%x: f32[2, 3], %i: i32[2, 3], %v: f32[3]) -> (\(type)) {\n\(body)\n  return \(result)\n}\n", error)
    }

    static func at(_ line: Int, _ column: Int) -> KernelIR.SourceLocation { KernelIR.SourceLocation(line: line, column: column) }
    static func site(_ op: String, _ value: String = "y", _ line: Int = 2, _ column: Int = 3) -> Site {
        Site(op: op, value: value, location: at(line, column))
    }

    static let cases: [MalformedKIR] = [
        // Files that hold nothing, or are cut short.
        MalformedKIR("empty file", text: "", .emptyModule),
        MalformedKIR("only a comment", text: "// nothing here\n", .emptyModule),
        MalformedKIR("truncated after the header", text: "func @f(%x: f32[2]) -> (f32[2]) {\n",
                     .unexpectedEnd(expected: "an instruction '%name = op(...) : type' or 'return'", at: at(2, 1))),
        MalformedKIR("truncated inside an operand list", text: "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = add(%x,",
                     .unexpectedEnd(expected: "an operand such as '%x'", at: at(2, 15))),
        MalformedKIR("truncated inside a type", text: "func @f(%x: f32[2", .unexpectedEnd(expected: "']'", at: at(1, 18))),
        MalformedKIR("missing closing brace", text: "func @f(%x: f32[2]) -> (f32[2]) {\n  return %x\n",
                     .unexpectedEnd(expected: "'}'", at: at(3, 1))),
        // Lexical faults.
        MalformedKIR("non-UTF-8 bytes", bytes: Array("func @f".utf8) + [0xFF, 0xFE], .invalidUTF8(at: at(1, 8))),
        MalformedKIR("non-UTF-8 on a later line", bytes: Array("// ok\n// caf".utf8) + [0xC3], .invalidUTF8(at: at(2, 7))),
        MalformedKIR("stray character", body: "  %y = exp(%x) # comment", .unexpectedCharacter("'#'", at: at(2, 16))),
        MalformedKIR("non-ASCII identifier", body: "  %y = éxp(%x) : f32[2, 3]", .unexpectedCharacter("U+E9", at: at(2, 8))),
        MalformedKIR("extremely long line", text: String(repeating: " ", count: 1_000_000) + "$",
                     .unexpectedCharacter("'$'", at: at(1, 1_000_001))),
        MalformedKIR("integer too large for 64 bits", text: "func @f(%x: f32[99999999999999999999]) -> () {\n  return\n}\n",
                     .integerOutOfRange("99999999999999999999", at: at(1, 17))),
        // Structure.
        MalformedKIR("top-level garbage", text: "hello", .unexpectedToken(expected: "'func'", found: "'hello'", at: at(1, 1))),
        MalformedKIR("missing function name", text: "func (%x: f32[1]) -> () {\n  return\n}\n",
                     .unexpectedToken(expected: "a function name such as '@main'", found: "'('", at: at(1, 6))),
        MalformedKIR("missing '='", body: "  %y exp(%x) : f32[2, 3]", .unexpectedToken(expected: "'='", found: "'exp'", at: at(2, 6))),
        MalformedKIR("missing result type", body: "  %y = exp(%x)",
                     .unexpectedToken(expected: "':'", found: "'return'", at: at(3, 3))),
        MalformedKIR("duplicate function", text: "func @f() -> () {\n  return\n}\nfunc @f() -> () {\n  return\n}\n",
                     .duplicateFunction("f", at: at(4, 1))),
        MalformedKIR("lists nested too deeply",
                     body: "  %y = exp(%x) {axes = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "} : f32[2, 3]",
                     .nestingTooDeep(limit: 16, at: at(2, 40))),
        // Names and types.
        MalformedKIR("unknown op", body: "  %y = frobnicate(%x) : f32[2, 3]", .unknownOp("frobnicate", suggestion: nil, at: at(2, 8))),
        MalformedKIR("misspelled op", body: "  %y = ad(%x, %x) : f32[2, 3]", .unknownOp("ad", suggestion: "add", at: at(2, 8))),
        MalformedKIR("unknown dtype", text: "func @f(%x: f64[2]) -> () {\n  return\n}\n", .unknownDType("f64", at: at(1, 13))),
        MalformedKIR("negative dimension", text: "func @f(%x: f32[-1, 2]) -> () {\n  return\n}\n", .invalidShape([-1, 2], at: at(1, 16))),
        MalformedKIR("element count overflows Int", text: "func @f(%x: f32[4294967296, 4294967296]) -> () {\n  return\n}\n",
                     .invalidShape([4_294_967_296, 4_294_967_296], at: at(1, 16))),
        MalformedKIR("undefined value", body: "  %y = exp(%z) : f32[2, 3]", .undefinedValue("z", at: at(2, 12))),
        MalformedKIR("value used before its definition", body: "  %y = exp(%w) : f32[2, 3]\n  %w = exp(%x) : f32[2, 3]",
                     .undefinedValue("w", at: at(2, 12))),
        MalformedKIR("redefined value", body: "  %y = exp(%x) : f32[2, 3]\n  %y = exp(%x) : f32[2, 3]", .redefinedValue("y", at: at(3, 3))),
        MalformedKIR("redefined parameter", body: "  %x = exp(%x) : f32[2, 3]", returning: "%x", .redefinedValue("x", at: at(2, 3))),
        MalformedKIR("undefined returned value", body: "  %y = exp(%x) : f32[2, 3]", returning: "%nope", .undefinedValue("nope", at: at(3, 10))),
        // Arity, dtype and shape rules.
        MalformedKIR("binary op with one operand", body: "  %y = add(%x) : f32[2, 3]", .arity(site("add"), expected: "2", found: 1)),
        MalformedKIR("unary op with two operands", body: "  %y = exp(%x, %x) : f32[2, 3]", .arity(site("exp"), expected: "1", found: 2)),
        MalformedKIR("select with two operands", body: "  %y = select(%x, %x) : f32[2, 3]", .arity(site("select"), expected: "3", found: 2)),
        MalformedKIR("dtype mismatch", body: "  %y = add(%x, %i) : f32[2, 3]",
                     .dtypeMismatch(site("add"), expected: "both operands of dtype f32", found: .i32)),
        MalformedKIR("log of an integer", body: "  %y = log(%i) : i32[2, 3]", type: "i32[2, 3]",
                     .dtypeMismatch(site("log"), expected: "a floating-point operand", found: .i32)),
        MalformedKIR("select on a float condition", body: "  %y = select(%x, %x, %x) : f32[2, 3]",
                     .dtypeMismatch(site("select"), expected: "a bool condition", found: .f32)),
        MalformedKIR("random integers", body: "  %y = random_uniform() {seed = 1} : i32[2, 3]", type: "i32[2, 3]",
                     .dtypeMismatch(site("random_uniform"), expected: "a floating-point result dtype", found: .i32)),
        MalformedKIR("shape mismatch", body: "  %y = add(%x, %v) : f32[2, 3]", .shapeMismatch(site("add"), expected: "shape [2, 3]", found: [3])),
        MalformedKIR("matmul inner dimensions differ", body: "  %y = matmul(%x, %x) : f32[2, 3]",
                     .shapeMismatch(site("matmul"), expected: "a right operand with 3 rows to match the left operand [2, 3]", found: [2, 3])),
        MalformedKIR("matmul of a vector", body: "  %y = matmul(%v, %x) : f32[2, 3]",
                     .shapeMismatch(site("matmul"), expected: "operands of rank 2 or more ([..., m, k] x [..., k, n])", found: [3])),
        MalformedKIR("written result type differs", body: "  %y = exp(%x) : f32[3, 2]",
                     .resultTypeMismatch(site("exp"), declared: TensorType(.f32, [3, 2]), inferred: TensorType(.f32, [2, 3]))),
        MalformedKIR("returned type differs from the signature", body: "  %y = exp(%v) : f32[3]",
                     .returnTypeMismatch(function: "f", declared: [TensorType(.f32, [2, 3])], found: [TensorType(.f32, [3])], at: at(3, 3))),
        // Attributes.
        MalformedKIR("missing attribute", body: "  %y = reduce_sum(%x) {axes = [1]} : f32[2]",
                     .missingAttribute(op: "reduce_sum", name: "keep_dims", at: at(2, 8))),
        MalformedKIR("unknown attribute", body: "  %y = exp(%x) {fast = true} : f32[2, 3]", .unknownAttribute(op: "exp", name: "fast", at: at(2, 17))),
        MalformedKIR("duplicate attribute", body: "  %y = concat(%x) {axis = 0, axis = 1} : f32[2, 3]",
                     .duplicateAttribute(op: "concat", name: "axis", at: at(2, 30))),
        MalformedKIR("attribute of the wrong kind", body: "  %y = concat(%x) {axis = [1]} : f32[2, 3]",
                     .unexpectedToken(expected: "an integer for attribute 'axis' of 'concat'", found: "'[1]'", at: at(2, 20))),
        MalformedKIR("cast to an unknown dtype", body: "  %y = cast(%x) {to = f64} : f32[2, 3]", .unknownDType("f64", at: at(2, 18))),
        MalformedKIR("negative stride", body: "  %y = slice(%x) {start = [0, 0], limit = [2, 3], stride = [1, -1]} : f32[2, 3]",
                     .invalidAttribute(site("slice"), attribute: "stride", reason: "must be at least 1, got -1 at axis 1")),
        MalformedKIR("slice past the end", body: "  %y = slice(%x) {start = [0, 0], limit = [2, 4], stride = [1, 1]} : f32[2, 4]",
                     .invalidAttribute(site("slice"), attribute: "limit", reason: "needs 0 <= start <= limit <= 3 at axis 1, got start 0 and limit 4")),
        MalformedKIR("permutation repeats an axis", body: "  %y = permute(%x) {permutation = [0, 0]} : f32[2, 2]",
                     .invalidAttribute(site("permute"), attribute: "permutation", reason: "[0, 0] is not a permutation of 0..<2")),
        MalformedKIR("permutation of the wrong length", body: "  %y = permute(%x) {permutation = [1, 0, 2]} : f32[3, 2]",
                     .invalidAttribute(site("permute"), attribute: "permutation", reason: "[1, 0, 2] is not a permutation of 0..<2")),
        MalformedKIR("reduction axis out of range", body: "  %y = reduce_sum(%x) {axes = [2], keep_dims = false} : f32[2, 3]",
                     .invalidAttribute(site("reduce_sum"), attribute: "axes", reason: "names axis 2, out of range for rank 2")),
        MalformedKIR("reduction axis repeated", body: "  %y = reduce_max(%x) {axes = [1, 1], keep_dims = false} : f32[2]",
                     .invalidAttribute(site("reduce_max"), attribute: "axes", reason: "[1, 1] names an axis twice")),
        MalformedKIR("negative axis", body: "  %y = concat(%x, %x) {axis = -1} : f32[2, 6]",
                     .invalidAttribute(site("concat"), attribute: "axis", reason: "names axis -1, out of range for rank 2")),
        MalformedKIR("reshape changes the element count", body: "  %y = reshape(%x) {shape = [4, 2]} : f32[4, 2]",
                     .invalidAttribute(site("reshape"), attribute: "shape", reason: "[4, 2] holds 8 elements but the operand [2, 3] holds 6")),
        MalformedKIR("broadcast to an incompatible shape", body: "  %y = broadcast(%v) {shape = [2, 4]} : f32[2, 4]",
                     .invalidAttribute(site("broadcast"), attribute: "shape", reason: "[2, 4] cannot take operand [3]: dimension 0 is 3, not 1 or 4")),
        MalformedKIR("negative padding", body: "  %y = pad(%x) {low = [0, -1], high = [0, 0], value = 0.0} : f32[2, 2]",
                     .invalidAttribute(site("pad"), attribute: "low", reason: "must be non-negative at axis 1; use slice to remove elements")),
        MalformedKIR("padding that overflows", body: "  %y = pad(%x) {low = [0, 9223372036854775807], high = [0, 9], value = 0.0} : f32[2, 3]",
                     .invalidAttribute(site("pad"), attribute: "shape", reason: "makes a dimension overflow 64 bits")),
        MalformedKIR("conv groups that do not divide the channels",
                     text: "func @f(%x: f32[1, 5, 3], %w: f32[2, 1, 4]) -> (f32[1, 4, 4]) {\n  %y = conv(%x, %w) {stride = [1], padding_low = [0], padding_high = [0], dilation = [1], groups = 2} : f32[1, 4, 4]\n  return %y\n}\n",
                     .invalidAttribute(site("conv"), attribute: "groups", reason: "must be at least 1 and divide both the 3 input and 4 output channels, got 2")),
        MalformedKIR("conv with zero stride",
                     text: "func @f(%x: f32[1, 5, 3], %w: f32[2, 3, 4]) -> (f32[1, 4, 4]) {\n  %y = conv(%x, %w) {stride = [0], padding_low = [0], padding_high = [0], dilation = [1], groups = 1} : f32[1, 4, 4]\n  return %y\n}\n",
                     .invalidAttribute(site("conv"), attribute: "stride", reason: "must be at least 1, got 0")),
        MalformedKIR("iota axis out of range", body: "  %y = iota() {axis = 3} : f32[2, 3]",
                     .invalidAttribute(site("iota"), attribute: "axis", reason: "names axis 3, out of range for rank 2")),
        MalformedKIR("constant with too few values", body: "  %y = constant() {values = [1.0, 2.0]} : f32[2, 3]",
                     .invalidAttribute(site("constant"), attribute: "values", reason: "lists 2 elements but f32[2, 3] holds 6")),
        MalformedKIR("integer constant that is not an integer", body: "  %y = constant() {value = 0.5} : i32[2, 3]", type: "i32[2, 3]",
                     .invalidAttribute(site("constant"), attribute: "value", reason: "holds 0.5, which i32 cannot represent exactly")),
        MalformedKIR("infinite integer constant", body: "  %y = constant() {values = [1, 2, 3, 4, 5, inf]} : i32[2, 3]", type: "i32[2, 3]",
                     .invalidAttribute(site("constant"), attribute: "values", reason: "holds inf, which i32 cannot represent exactly")),
        MalformedKIR("bool constant of 2", body: "  %y = constant() {value = 2} : bool[2, 3]", type: "bool[2, 3]",
                     .invalidAttribute(site("constant"), attribute: "value", reason: "holds 2.0, which bool cannot represent exactly")),
        MalformedKIR("negative seed", body: "  %y = random_normal() {seed = -3} : f32[2, 3]",
                     .invalidAttribute(site("random_normal"), attribute: "seed", reason: "must be non-negative, got -3")),
    ]
}

@Test(arguments: MalformedKIR.cases)
func malformedTextIsRejected(_ example: MalformedKIR) {
    let error = #expect(throws: KIRError.self) { try Module(parsing: example.bytes) }
    #expect(error == example.error)
}

@Test func malformedTableIsLargeEnough() {
    #expect(MalformedKIR.cases.count >= 40)
    #expect(Set(MalformedKIR.cases.map(\.name)).count == MalformedKIR.cases.count)
}

/// The exact text users read for a representative error of each kind.
@Test(arguments: [
    ("misspelled op", "2:8: unknown op 'ad'; did you mean 'add'?"),
    ("shape mismatch", "2:3: 'add' defining %y: needs shape [2, 3], got [3]; insert a broadcast or reshape"),
    ("undefined value", "2:12: %z is used but never defined; define it earlier or pass it as a parameter"),
    ("non-UTF-8 bytes", "1:8: the file is not valid UTF-8; save it as UTF-8 text"),
    ("truncated inside an operand list", "2:15: the text ends where an operand such as '%x' should follow; the file may be truncated"),
    ("binary op with one operand", "2:3: 'add' defining %y: takes 2 operands, got 1"),
    ("negative stride", "2:3: 'slice' defining %y: attribute 'stride' must be at least 1, got -1 at axis 1"),
    ("element count overflows Int", "1:16: shape [4294967296, 4294967296] is invalid: dimensions must be non-negative and their product must fit in 64 bits"),
    ("written result type differs", "2:3: 'exp' defining %y: result is written as f32[3, 2] but the operands give f32[2, 3]"),
    ("empty file", "1:1: the file defines no function; a .kir file holds at least one 'func @name(...) -> (...) { ... }'"),
])
func malformedTextMessageReadsWell(name: String, message: String) throws {
    let example = try #require(MalformedKIR.cases.first { $0.name == name })
    #expect(example.error.description == message)
    let error = #expect(throws: KIRError.self) { try Module(parsing: example.bytes) }
    #expect(error?.description == message)
}
