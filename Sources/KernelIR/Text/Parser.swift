extension Module {
    /// Parses and verifies `.kir` text.
    /// - Throws: ``KIRError`` located at `line:column` for the first fault: lexical, syntactic,
    ///   an undefined or redefined value, or an op whose operands or attributes break its rule.
    public init(parsing text: String) throws(KIRError) {
        var parser = try Parser(text)
        self = try parser.parseModule()
    }

    /// Parses and verifies `.kir` bytes, which must be UTF-8.
    public init(parsing bytes: [UInt8]) throws(KIRError) {
        try self.init(parsing: try Lexer.decode(bytes))
    }
}

/// A recursive-descent parser over ``Lexer`` tokens. It types each instruction with
/// ``ShapeRules`` as it reads it, so every error carries the location of the text at fault.
struct Parser {
    static let maximumNesting = 16

    private let tokens: [Token]
    private let comments: [Int: String]
    private var position = 0

    init(_ text: String) throws(KIRError) {
        let lexer = try Lexer(text)
        tokens = lexer.tokens
        comments = lexer.comments
    }

    private var current: Token { tokens[position] }

    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func failure(expected: String) -> KIRError {
        current.kind == .end
            ? .unexpectedEnd(expected: expected, at: current.location)
            : .unexpectedToken(expected: expected, found: current.spelling, at: current.location)
    }

    private mutating func expect(_ symbol: String) throws(KIRError) {
        guard current.kind == .symbol(symbol) else { throw failure(expected: "'\(symbol)'") }
        _ = advance()
    }

    private mutating func consume(_ symbol: String) -> Bool {
        guard current.kind == .symbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func expectWord(_ what: String) throws(KIRError) -> (String, SourceLocation) {
        guard case let .word(word) = current.kind else { throw failure(expected: what) }
        return (word, advance().location)
    }

    private mutating func expectValueName(_ what: String) throws(KIRError) -> (String, SourceLocation) {
        guard case let .valueName(name) = current.kind else { throw failure(expected: what) }
        return (name, advance().location)
    }

    // MARK: Module and functions

    mutating func parseModule() throws(KIRError) -> Module {
        var functions: [Graph] = []
        while current.kind != .end {
            let function = try parseFunction()
            if functions.contains(where: { $0.name == function.name }) {
                throw .duplicateFunction(function.name, at: function.location)
            }
            functions.append(function)
        }
        guard !functions.isEmpty else { throw .emptyModule }
        return Module(functions: functions)
    }

    private func documentation(above line: Int) -> String {
        var lines: [String] = []
        var previous = line - 1
        while let comment = comments[previous] {
            lines.insert(comment, at: 0)
            previous -= 1
        }
        return lines.joined(separator: "\n")
    }

    private mutating func parseFunction() throws(KIRError) -> Graph {
        guard current.kind == .word("func") else { throw failure(expected: "'func'") }
        let location = advance().location
        guard case let .functionName(name) = current.kind else { throw failure(expected: "a function name such as '@main'") }
        _ = advance()
        var scope = Scope()
        var parameters: [Parameter] = []
        try expect("(")
        if !consume(")") {
            repeat {
                let (parameterName, parameterLocation) = try expectValueName("a parameter such as '%x'")
                try expect(":")
                let type = try parseType()
                try scope.define(parameterName, at: parameterLocation)
                parameters.append(Parameter(name: parameterName, type: type))
            } while consume(",")
            try expect(")")
        }
        try expect("->")
        try expect("(")
        var declaredResults: [TensorType] = []
        if !consume(")") {
            repeat { declaredResults.append(try parseType()) } while consume(",")
            try expect(")")
        }
        try expect("{")
        var instructions: [Instruction] = []
        while current.kind != .word("return") {
            let instruction = try parseInstruction(scope: &scope, types: parameters.map(\.type) + instructions.map(\.type))
            instructions.append(instruction)
        }
        let returnLocation = advance().location
        var results: [Value] = []
        if case .valueName = current.kind {
            repeat {
                let (resultName, resultLocation) = try expectValueName("a value to return")
                results.append(try scope.lookup(resultName, at: resultLocation))
            } while consume(",")
        }
        try expect("}")
        var graph = Graph(name: name, parameters: parameters, instructions: instructions, results: results, location: location)
        graph.documentation = documentation(above: location.line)
        guard graph.resultTypes == declaredResults else {
            throw .returnTypeMismatch(function: name, declared: declaredResults, found: graph.resultTypes, at: returnLocation)
        }
        return graph
    }

    // MARK: Types

    mutating func parseType() throws(KIRError) -> TensorType {
        let (name, location) = try expectWord("a tensor type such as 'f32[2, 3]'")
        guard let dtype = DType(rawValue: name) else { throw .unknownDType(name, at: location) }
        let shapeLocation = current.location
        try expect("[")
        var dimensions: [Int] = []
        if !consume("]") {
            repeat { dimensions.append(try parseInteger()) } while consume(",")
            try expect("]")
        }
        guard let shape = Shape(checking: dimensions) else { throw .invalidShape(dimensions, at: shapeLocation) }
        return TensorType(dtype, shape)
    }

    private mutating func parseInteger() throws(KIRError) -> Int {
        guard case let .integer(text) = current.kind else { throw failure(expected: "an integer") }
        let location = advance().location
        guard let value = Int(text) else { throw .integerOutOfRange(text, at: location) }
        return value
    }

    // MARK: Instructions

    private mutating func parseInstruction(scope: inout Scope, types: [TensorType]) throws(KIRError) -> Instruction {
        let (name, location) = try expectValueName("an instruction '%name = op(...) : type' or 'return'")
        try expect("=")
        let (mnemonic, opLocation) = try expectWord("an op name")
        var operands: [Value] = []
        try expect("(")
        if !consume(")") {
            repeat {
                let (operandName, operandLocation) = try expectValueName("an operand such as '%x'")
                operands.append(try scope.lookup(operandName, at: operandLocation))
            } while consume(",")
            try expect(")")
        }
        var attributes = AttributeTable(op: mnemonic)
        if consume("{") {
            repeat {
                let (attributeName, attributeLocation) = try expectWord("an attribute name")
                try expect("=")
                let value = try parseAttributeValue(depth: 0)
                try attributes.insert(attributeName, value, at: attributeLocation)
            } while consume(",")
            try expect("}")
        }
        try expect(":")
        let declared = try parseType()
        let op = try attributes.op(declaredType: declared, at: opLocation)
        let site = Site(op: mnemonic, value: name, location: location)
        let inferred = try ShapeRules.resultType(of: op, operands: operands.map { types[$0.index] }, at: site)
        guard inferred == declared else { throw .resultTypeMismatch(site, declared: declared, inferred: inferred) }
        try scope.define(name, at: location)
        return Instruction(op: op, operands: operands, type: inferred, name: name, location: location)
    }

    private mutating func parseAttributeValue(depth: Int) throws(KIRError) -> AttributeValue {
        guard depth < Self.maximumNesting else { throw .nestingTooDeep(limit: Self.maximumNesting, at: current.location) }
        let token = current
        switch token.kind {
        case let .integer(text):
            _ = advance()
            guard let value = Int(text) else { throw .integerOutOfRange(text, at: token.location) }
            return .integer(value)
        case let .float(text):
            _ = advance()
            return .float(Double(text) ?? .nan)
        case let .word(word):
            _ = advance()
            return .word(word)
        case .symbol("-"):
            _ = advance()
            guard current.kind == .word("inf") else { throw failure(expected: "a number after '-'") }
            _ = advance()
            return .float(-.infinity)
        case .symbol("["):
            _ = advance()
            var items: [AttributeValue] = []
            if !consume("]") {
                repeat { items.append(try parseAttributeValue(depth: depth + 1)) } while consume(",")
                try expect("]")
            }
            return .list(items)
        default:
            throw failure(expected: "an attribute value")
        }
    }
}

/// The names defined so far in a function, mapped to their values.
struct Scope {
    private var values: [String: Value] = [:]

    mutating func define(_ name: String, at location: SourceLocation) throws(KIRError) {
        guard values[name] == nil else { throw .redefinedValue(name, at: location) }
        values[name] = Value(index: values.count)
    }

    func lookup(_ name: String, at location: SourceLocation) throws(KIRError) -> Value {
        guard let value = values[name] else { throw .undefinedValue(name, at: location) }
        return value
    }
}
