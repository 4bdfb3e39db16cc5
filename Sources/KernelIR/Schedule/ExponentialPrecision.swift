/// Which exponentials of a graph a backend may compute within a few ulps instead of correctly
/// rounded.
///
/// An exponential that agrees with the interpreter bit for bit costs a backend several times one
/// within two ulps (on the CPU: a double-precision polynomial against a float one, a third of a
/// softmax's time). Exactness is kept wherever an error in the result could survive:
/// - where the result reaches a graph result through elementwise and data-movement ops, since a
///   user compares what they read against other devices and the interpreter;
/// - where it reaches the argument of `exp`, `sin`, `cos` or `pow`, whose results' errors are the
///   argument's magnitude times its own relative error: a timestep embedding multiplies its
///   frequencies by a thousand before the sine.
///
/// Exactness is not carried through a sum of ``termsThatDominate`` or more terms (a reduction, a
/// matmul, a convolution): the sum's own rounding is already of the order of a few ulps of its
/// inputs, and it differs between backends with the order of summation, so a result downstream of
/// one agrees with the interpreter to a tolerance, not bit for bit, whichever exponential fed it.
/// A softmax inside attention is the case in point: its exponentials feed a row sum and the
/// product with the values.
public enum ExponentialPrecision {
    /// Terms from which a sum's own rounding covers its inputs' errors of a few ulps.
    public static let termsThatDominate = 8

    /// The names of the `exp` instructions of `graph` whose results need not be correctly rounded.
    public static func relaxedExponentials(in graph: Graph) -> Set<String> {
        let parameterCount = graph.parameters.count
        var needsExactness = [Bool](repeating: false, count: graph.valueCount)
        for result in graph.results { needsExactness[result.index] = true }
        var relaxed: Set<String> = []
        for position in graph.instructions.indices.reversed() {
            let instruction = graph.instructions[position]
            let index = parameterCount + position
            if case .unary(.exp) = instruction.op, !needsExactness[index] { relaxed.insert(instruction.name) }
            for operand in instruction.operands {
                if amplifies(instruction.op) || (needsExactness[index] && carriesErrors(instruction, in: graph)) {
                    needsExactness[operand.index] = true
                }
            }
        }
        return relaxed
    }

    /// Whether `op`'s result has an error its argument's magnitude times the argument's relative error.
    private static func amplifies(_ op: Op) -> Bool {
        switch op {
        case .unary(.exp), .unary(.sin), .unary(.cos), .binary(.pow): true
        default: false
        }
    }

    /// Whether an error in an operand of `instruction` reaches its result undiluted: every op but a
    /// sum of ``termsThatDominate`` or more terms (a max or min reduction passes an element through).
    private static func carriesErrors(_ instruction: Instruction, in graph: Graph) -> Bool {
        switch instruction.op {
        case .reduce(.sum, _, _):
            let terms = graph.type(of: instruction.operands[0]).elementCount / max(1, instruction.type.elementCount)
            return terms < termsThatDominate
        case .matmul, .convolution:
            let outputs = max(1, instruction.type.elementCount)
            return Kernel.flops(of: instruction, in: graph) / (2 * outputs) < termsThatDominate
        default:
            return true
        }
    }
}
