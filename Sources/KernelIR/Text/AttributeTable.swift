/// The attributes written on one instruction, turned into an ``Op`` once the whole instruction is read.
struct AttributeTable {
    let op: String
    private var entries: [String: (value: AttributeValue, location: SourceLocation)] = [:]
    private var used: Set<String> = []
    private var location = SourceLocation.generated

    init(op: String) { self.op = op }

    mutating func insert(_ name: String, _ value: AttributeValue, at location: SourceLocation) throws(KIRError) {
        guard entries[name] == nil else { throw .duplicateAttribute(op: op, name: name, at: location) }
        entries[name] = (value, location)
    }

    /// The op this mnemonic and these attributes spell; `declaredType` is the written result type,
    /// which ops without operands (`iota`, `constant`, `random_*`) take as their type.
    mutating func op(declaredType: TensorType, at opLocation: SourceLocation) throws(KIRError) -> Op {
        location = opLocation
        let result = try makeOp(declaredType: declaredType)
        if let unused = entries.keys.sorted().first(where: { !used.contains($0) }) {
            throw .unknownAttribute(op: op, name: unused, at: entries[unused]?.location ?? opLocation)
        }
        return result
    }

    private mutating func makeOp(declaredType: TensorType) throws(KIRError) -> Op {
        if let function = UnaryFunction(rawValue: op) { return .unary(function) }
        if let function = BinaryFunction(rawValue: op) { return .binary(function) }
        if let comparison = Comparison(rawValue: op) { return .compare(comparison) }
        if op.hasPrefix("reduce_"), let kind = ReduceKind(rawValue: String(op.dropFirst(7))) {
            return .reduce(kind, axes: try integers("axes"), keepsDimensions: try boolean("keep_dims"))
        }
        if op.hasPrefix("random_"), let distribution = Distribution(rawValue: String(op.dropFirst(7))) {
            return .random(distribution, seed: try integer("seed"), type: declaredType)
        }
        switch op {
        case "select": return .select
        case "matmul": return .matmul
        case "stop_gradient": return .stopGradient
        case "cast": return .cast(to: try dtype("to"))
        case "broadcast": return .broadcast(to: try shape("shape"))
        case "reshape": return .reshape(to: try shape("shape"))
        case "permute": return .permute(try integers("permutation"))
        case "reverse": return .reverse(axes: try integers("axes"))
        case "slice": return .slice(start: try integers("start"), limit: try integers("limit"), stride: try integers("stride"))
        case "concat": return .concat(axis: try integer("axis"))
        case "pad": return .pad(low: try integers("low"), high: try integers("high"), value: try number("value"))
        case "conv":
            return .convolution(Convolution(stride: try integers("stride"), paddingLow: try integers("padding_low"),
                                            paddingHigh: try integers("padding_high"), dilation: try integers("dilation"),
                                            groups: try integer("groups")))
        case "iota": return .iota(axis: try integer("axis"), type: declaredType)
        case "constant":
            if entries["values"] != nil {
                guard case let .list(items) = try take("values") else { throw invalid("values", "a list of numbers") }
                var values: [Double] = []
                for item in items { values.append(try literal(item, name: "values")) }
                return .constant(.elements(values), type: declaredType)
            }
            return .constant(.splat(try literal(try take("value"), name: "value")), type: declaredType)
        default:
            throw .unknownOp(op, suggestion: Self.suggestion(for: op), at: location)
        }
    }

    // MARK: Typed attribute readers

    private mutating func take(_ name: String) throws(KIRError) -> AttributeValue {
        guard let entry = entries[name] else { throw .missingAttribute(op: op, name: name, at: location) }
        used.insert(name)
        return entry.value
    }

    private func invalid(_ name: String, _ reason: String) -> KIRError {
        .unexpectedToken(expected: "\(reason) for attribute '\(name)' of '\(op)'",
                         found: entries[name].map { "'\($0.value)'" } ?? "nothing", at: entries[name]?.location ?? location)
    }

    private mutating func integer(_ name: String) throws(KIRError) -> Int {
        guard case let .integer(value) = try take(name) else { throw invalid(name, "an integer") }
        return value
    }

    private mutating func integers(_ name: String) throws(KIRError) -> [Int] {
        guard case let .list(items) = try take(name) else { throw invalid(name, "a list of integers") }
        var values: [Int] = []
        for item in items {
            guard case let .integer(value) = item else { throw invalid(name, "a list of integers") }
            values.append(value)
        }
        return values
    }

    private mutating func shape(_ name: String) throws(KIRError) -> Shape {
        let dimensions = try integers(name)
        guard let shape = Shape(checking: dimensions) else {
            throw .invalidShape(dimensions, at: entries[name]?.location ?? location)
        }
        return shape
    }

    private mutating func boolean(_ name: String) throws(KIRError) -> Bool {
        switch try take(name) {
        case .word("true"): return true
        case .word("false"): return false
        default: throw invalid(name, "true or false")
        }
    }

    private mutating func dtype(_ name: String) throws(KIRError) -> DType {
        guard case let .word(word) = try take(name) else { throw invalid(name, "a dtype") }
        guard let dtype = DType(rawValue: word) else { throw .unknownDType(word, at: entries[name]?.location ?? location) }
        return dtype
    }

    private mutating func number(_ name: String) throws(KIRError) -> Double {
        try literal(try take(name), name: name)
    }

    private func literal(_ value: AttributeValue, name: String) throws(KIRError) -> Double {
        switch value {
        case let .integer(integer): return Double(integer)
        case let .float(float): return float
        case .word("true"): return 1
        case .word("false"): return 0
        case .word("inf"): return .infinity
        case .word("nan"): return .nan
        case .word, .list: throw invalid(name, "a number")
        }
    }

    /// The closest mnemonic within two edits, for "did you mean".
    static func suggestion(for name: String) -> String? {
        let candidates = Op.mnemonics.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }
        return candidates.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8.prefix(64)), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                row[j] = Swift.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
