/// Where in a program an op-level error sits: the op, the value it defines and its source location.
public struct Site: Hashable, Sendable, CustomStringConvertible {
    /// The op's `.kir` mnemonic, e.g. `reduce_sum`.
    public var op: String
    /// The SSA name of the value being defined, without the `%`.
    public var value: String
    /// Where the definition was written.
    public var location: SourceLocation

    /// Creates a site.
    public init(op: String, value: String, location: SourceLocation) {
        self.op = op
        self.value = value
        self.location = location
    }

    /// `line:column: 'op' defining %value`.
    public var description: String { "\(location): '\(op)' defining %\(value)" }
}

/// Why a `.kir` program or a graph was rejected. Each case carries what its message needs,
/// and ``description`` says what is wrong, where, and what to try.
public enum KIRError: Error, Hashable, Sendable, CustomStringConvertible {
    // MARK: Text
    /// The bytes are not valid UTF-8.
    case invalidUTF8(at: SourceLocation)
    /// A character that starts no token.
    case unexpectedCharacter(String, at: SourceLocation)
    /// A token other than the one the grammar needs.
    case unexpectedToken(expected: String, found: String, at: SourceLocation)
    /// The text ended inside a construct.
    case unexpectedEnd(expected: String, at: SourceLocation)
    /// An integer literal that does not fit in 64 bits.
    case integerOutOfRange(String, at: SourceLocation)
    /// Lists nested deeper than the parser allows.
    case nestingTooDeep(limit: Int, at: SourceLocation)
    /// A file with no function in it.
    case emptyModule
    /// Two functions with one name.
    case duplicateFunction(String, at: SourceLocation)
    /// An op mnemonic the IR does not have.
    case unknownOp(String, suggestion: String?, at: SourceLocation)
    /// A dtype name the IR does not have.
    case unknownDType(String, at: SourceLocation)
    /// An attribute the op does not take.
    case unknownAttribute(op: String, name: String, at: SourceLocation)
    /// An attribute the op needs but was not given.
    case missingAttribute(op: String, name: String, at: SourceLocation)
    /// An attribute given twice.
    case duplicateAttribute(op: String, name: String, at: SourceLocation)
    /// A dimension list whose element count overflows `Int`, or with a negative dimension.
    case invalidShape([Int], at: SourceLocation)

    // MARK: SSA
    /// A use of a name that no parameter or earlier instruction defines.
    case undefinedValue(String, at: SourceLocation)
    /// A second definition of a name.
    case redefinedValue(String, at: SourceLocation)

    // MARK: Op rules
    /// Too many or too few operands.
    case arity(Site, expected: String, found: Int)
    /// An operand of the wrong dtype.
    case dtypeMismatch(Site, expected: String, found: DType)
    /// An operand of the wrong shape.
    case shapeMismatch(Site, expected: String, found: Shape)
    /// An attribute outside its range (negative stride, bad permutation, axis out of range, ...).
    case invalidAttribute(Site, attribute: String, reason: String)
    /// A written result type that differs from the inferred one.
    case resultTypeMismatch(Site, declared: TensorType, inferred: TensorType)
    /// Returned values whose types differ from the function's declared result types.
    case returnTypeMismatch(function: String, declared: [TensorType], found: [TensorType], at: SourceLocation)
    /// A graph-level fault found by the verifier (operand index out of range, use before definition).
    case malformedGraph(function: String, reason: String)
    /// Inputs that do not match a function's parameters when it is run.
    case inputMismatch(function: String, reason: String)
    /// A tensor too large for the reference interpreter, which is meant for test-sized data.
    case interpreterLimit(value: String, elements: Int, limit: Int)
    /// A gradient asked of or with respect to something that has none (integers, bools, compares, iota, random).
    case notDifferentiable(String)
    /// A feature this version does not support yet.
    case notImplemented(String)

    public var description: String {
        switch self {
        case let .invalidUTF8(at):
            "\(at): the file is not valid UTF-8; save it as UTF-8 text"
        case let .unexpectedCharacter(character, at):
            "\(at): unexpected character \(character)"
        case let .unexpectedToken(expected, found, at):
            "\(at): expected \(expected), found \(found)"
        case let .unexpectedEnd(expected, at):
            "\(at): the text ends where \(expected) should follow; the file may be truncated"
        case let .integerOutOfRange(text, at):
            "\(at): integer \(text) is out of range"
        case let .nestingTooDeep(limit, at):
            "\(at): lists nest deeper than \(limit) levels"
        case .emptyModule:
            "1:1: the file defines no function; a .kir file holds at least one 'func @name(...) -> (...) { ... }'"
        case let .duplicateFunction(name, at):
            "\(at): function @\(name) is defined twice; rename one"
        case let .unknownOp(name, suggestion, at):
            "\(at): unknown op '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case let .unknownDType(name, at):
            "\(at): unknown dtype '\(name)'; use one of " + DType.allCases.map(\.rawValue).joined(separator: ", ")
        case let .unknownAttribute(op, name, at):
            "\(at): '\(op)' takes no attribute '\(name)'"
        case let .missingAttribute(op, name, at):
            "\(at): '\(op)' needs the attribute '\(name)'"
        case let .duplicateAttribute(op, name, at):
            "\(at): '\(op)' has the attribute '\(name)' twice"
        case let .invalidShape(dimensions, at):
            "\(at): shape \(dimensions) is invalid: dimensions must be non-negative and their product must fit in 64 bits"
        case let .undefinedValue(name, at):
            "\(at): %\(name) is used but never defined; define it earlier or pass it as a parameter"
        case let .redefinedValue(name, at):
            "\(at): %\(name) is already defined; SSA values are defined once, pick a new name"
        case let .arity(site, expected, found):
            "\(site): takes \(expected) operand\(expected == "1" ? "" : "s"), got \(found)"
        case let .dtypeMismatch(site, expected, found):
            "\(site): needs \(expected), got \(found)"
        case let .shapeMismatch(site, expected, found):
            "\(site): needs \(expected), got \(found); insert a broadcast or reshape"
        case let .invalidAttribute(site, attribute, reason):
            "\(site): attribute '\(attribute)' \(reason)"
        case let .resultTypeMismatch(site, declared, inferred):
            "\(site): result is written as \(declared) but the operands give \(inferred)"
        case let .returnTypeMismatch(function, declared, found, at):
            "\(at): @\(function) declares results (\(declared.map(\.description).joined(separator: ", "))) but returns (\(found.map(\.description).joined(separator: ", ")))"
        case let .malformedGraph(function, reason):
            "@\(function): \(reason)"
        case let .inputMismatch(function, reason):
            "@\(function): \(reason)"
        case let .interpreterLimit(value, elements, limit):
            "%\(value) has \(elements) elements, more than the reference interpreter's limit of \(limit); run it on a device instead"
        case let .notDifferentiable(reason):
            "not differentiable: \(reason)"
        case let .notImplemented(feature):
            "not implemented: \(feature)"
        }
    }
}
