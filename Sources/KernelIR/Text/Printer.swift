extension Module {
    /// The module in canonical `.kir` text: `Module(parsing: module.text) == module`, and
    /// canonical text prints back unchanged.
    public var text: String { functions.map(\.text).joined(separator: "\n") }
}

extension Graph {
    /// The function in canonical `.kir` text, documentation comment first.
    public var text: String {
        var lines: [String] = []
        if !documentation.isEmpty {
            lines += documentation.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "//" : "// \($0)" }
        }
        let parameterList = parameters.map { "%\($0.name): \($0.type)" }.joined(separator: ", ")
        let resultList = resultTypes.map(\.description).joined(separator: ", ")
        lines.append("func @\(name)(\(parameterList)) -> (\(resultList)) {")
        for instruction in instructions {
            let operands = instruction.operands.map { "%" + name(of: $0) }.joined(separator: ", ")
            let attributes = instruction.op.attributes
            let attributeText = attributes.isEmpty ? "" : " {" + attributes.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + "}"
            lines.append("  %\(instruction.name) = \(instruction.op.mnemonic)(\(operands))\(attributeText) : \(instruction.type)")
        }
        let returned = results.map { "%" + name(of: $0) }.joined(separator: ", ")
        lines.append(returned.isEmpty ? "  return" : "  return \(returned)")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
