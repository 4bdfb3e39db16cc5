import KernelIR

/// A non-negative integer index over loop variables, kept simplified so that the index arithmetic
/// of reshapes, broadcasts and permutes collapses to plain affine expressions where it can.
///
/// The form is a constant plus a sum of scaled *atoms* (a variable, a quotient, a remainder or a
/// clamp of another expression). Every atom knows its bounds, which is what the simplifications
/// use: `(8 o + c) / 8 = o` when `0 <= c < 8`, `(8 o + c) % 8 = c`, and the two identities that
/// re-join a decomposed index, `d (x / d) + x % d = x` and `c ((x / c) % b) + x % c = x % (c b)`.
/// Division and remainder are only ever applied to expressions whose lower bound is non-negative,
/// so C's truncating `/` and `%` agree with floor division.
struct IndexExpression: Hashable, Sendable, CustomStringConvertible {
    /// A loop variable counting `0..<extent`, bound at nesting `level` of the generated code.
    struct Variable: Hashable, Sendable {
        var name: String
        var extent: Int
        var level: Int
    }

    /// A non-affine building block of an index.
    indirect enum Atom: Hashable, Sendable {
        case variable(Variable)
        case quotient(IndexExpression, divisor: Int)
        case remainder(IndexExpression, modulus: Int)
        case clamped(IndexExpression, lower: Int, upper: Int)
    }

    /// `coefficient * atom`.
    struct Term: Hashable, Sendable {
        var coefficient: Int
        var atom: Atom
    }

    private(set) var constant: Int
    /// Distinct atoms with nonzero coefficients, in a canonical order.
    private(set) var terms: [Term]

    /// A constant index.
    init(_ constant: Int) {
        self.constant = constant
        terms = []
    }

    /// A variable; one with at most one value is the constant 0.
    init(_ variable: Variable) {
        self.init(0)
        if variable.extent > 1 { terms = [Term(coefficient: 1, atom: .variable(variable))] }
    }

    private init(atom: Atom) {
        self.init(0)
        terms = [Term(coefficient: 1, atom: atom)]
    }

    private init(constant: Int, terms: [Term]) {
        self.constant = constant
        self.terms = terms
        normalize()
    }

    /// The constant value, if the expression does not depend on any variable.
    var constantValue: Int? { terms.isEmpty ? constant : nil }

    /// Whether the expression is exactly `variable`.
    func isVariable(named name: String) -> Bool {
        guard constant == 0, terms.count == 1, terms[0].coefficient == 1, case let .variable(variable) = terms[0].atom else { return false }
        return variable.name == name
    }

    /// Whether consecutive values of the variable `name` give consecutive (or equal) values: it
    /// appears at most as a plain term with coefficient 1, not scaled or inside a quotient, remainder or clamp.
    func isContiguous(along name: String) -> Bool {
        terms.allSatisfy { term in
            if case let .variable(variable) = term.atom, variable.name == name { return term.coefficient == 1 }
            return !term.atom.uses(name)
        }
    }

    /// The deepest loop level of any variable used, or 0 for a constant.
    var level: Int { terms.map(\.atom.level).max() ?? 0 }

    /// The smallest and largest value the expression can take.
    var bounds: (lower: Int, upper: Int) {
        var lower = constant, upper = constant
        for term in terms {
            let atom = term.atom.bounds
            if term.coefficient >= 0 {
                lower += term.coefficient * atom.lower
                upper += term.coefficient * atom.upper
            } else {
                lower += term.coefficient * atom.upper
                upper += term.coefficient * atom.lower
            }
        }
        return (lower, upper)
    }

    static func + (lhs: IndexExpression, rhs: IndexExpression) -> IndexExpression {
        IndexExpression(constant: lhs.constant + rhs.constant, terms: lhs.terms + rhs.terms)
    }

    static func + (lhs: IndexExpression, rhs: Int) -> IndexExpression { lhs + IndexExpression(rhs) }

    static func * (lhs: IndexExpression, factor: Int) -> IndexExpression {
        guard factor != 0 else { return IndexExpression(0) }
        return IndexExpression(constant: lhs.constant * factor,
                               terms: lhs.terms.map { Term(coefficient: $0.coefficient * factor, atom: $0.atom) })
    }

    /// Floor division by a positive `divisor`.
    func divided(by divisor: Int) -> IndexExpression {
        precondition(divisor > 0, "IndexExpression: division by \(divisor)")
        if divisor == 1 { return self }
        let (lower, upper) = bounds
        if lower >= 0 && upper < divisor { return IndexExpression(0) }
        // (d a + b) / d = a + b / d for integral a, when b >= 0.
        var whole: [Term] = [], rest: [Term] = []
        for term in terms {
            if term.coefficient % divisor == 0 {
                whole.append(Term(coefficient: term.coefficient / divisor, atom: term.atom))
            } else {
                rest.append(term)
            }
        }
        let quotient = Self.floorDivide(constant, divisor)
        let remainder = IndexExpression(constant: constant - quotient * divisor, terms: rest)
        guard remainder.bounds.lower >= 0 else { return IndexExpression(atom: .quotient(self, divisor: divisor)) }
        let wholePart = IndexExpression(constant: quotient, terms: whole)
        if remainder.bounds.upper < divisor { return wholePart }
        if remainder.constant == 0, remainder.terms.count == 1, remainder.terms[0].coefficient == 1,
           case let .quotient(inner, innerDivisor) = remainder.terms[0].atom {
            return wholePart + inner.divided(by: innerDivisor * divisor)
        }
        if let (scaled, step) = remainder.splitAtCommonStep(of: divisor) {
            return wholePart + scaled.divided(by: divisor / step)
        }
        return wholePart + IndexExpression(atom: .quotient(remainder, divisor: divisor))
    }

    /// `(s, a)` with `self = a s + r` for some `r` in `0..<a`, `a > 1` a divisor of `divisor` and `s`
    /// an index: then `self / divisor = s / (divisor / a)`, and `self % divisor = a (s % (divisor / a)) + r`.
    /// `a` is the common step of the terms with the largest coefficients, as in `(128 o + c) / 32768`
    /// with `0 <= c < 128`, which is `o / 256`.
    private func splitAtCommonStep(of divisor: Int) -> (scaled: IndexExpression, step: Int)? {
        guard bounds.lower >= 0 else { return nil }
        let byMagnitude = terms.sorted { Swift.abs($0.coefficient) > Swift.abs($1.coefficient) }
        var step = divisor
        for count in 1..<Swift.max(1, byMagnitude.count) {
            step = Self.greatestCommonDivisor(step, byMagnitude[count - 1].coefficient)
            guard step > 1 else { return nil }
            let large = byMagnitude.prefix(count), small = byMagnitude.dropFirst(count)
            let base = Self.floorDivide(constant, step)
            let rest = IndexExpression(constant: constant - base * step, terms: Array(small))
            let restBounds = rest.bounds
            guard restBounds.lower >= 0, restBounds.upper < step else { continue }
            let scaled = IndexExpression(constant: base, terms: large.map { Term(coefficient: $0.coefficient / step, atom: $0.atom) })
            guard scaled.bounds.lower >= 0 else { return nil }
            return (scaled, step)
        }
        return nil
    }

    static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (Swift.abs(a), Swift.abs(b))
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    /// The remainder of division by a positive `modulus`.
    func modulo(_ modulus: Int) -> IndexExpression {
        precondition(modulus > 0, "IndexExpression: remainder by \(modulus)")
        if modulus == 1 { return IndexExpression(0) }
        let (lower, upper) = bounds
        if lower >= 0 && upper < modulus { return self }
        let kept = terms.filter { $0.coefficient % modulus != 0 }
        let reduced = IndexExpression(constant: (constant % modulus + modulus) % modulus, terms: kept)
        let base = reduced.bounds.lower >= 0 ? reduced : self
        let baseBounds = base.bounds
        if baseBounds.lower >= 0 && baseBounds.upper < modulus { return base }
        if base.constant == 0, base.terms.count == 1, base.terms[0].coefficient == 1,
           case let .remainder(inner, innerModulus) = base.terms[0].atom, innerModulus % modulus == 0 {
            return inner.modulo(modulus)
        }
        if let (scaled, step) = base.splitAtCommonStep(of: modulus) {
            let rest = base + scaled * -step
            return scaled.modulo(modulus / step) * step + rest
        }
        return IndexExpression(atom: .remainder(base, modulus: modulus))
    }

    /// The expression limited to `lower...upper`.
    func clamped(lower: Int, upper: Int) -> IndexExpression {
        let bounds = self.bounds
        if bounds.lower >= lower && bounds.upper <= upper { return self }
        if bounds.upper <= lower { return IndexExpression(lower) }
        if bounds.lower >= upper { return IndexExpression(upper) }
        return IndexExpression(atom: .clamped(self, lower: lower, upper: upper))
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    // MARK: Canonical form

    private mutating func normalize() {
        while true {
            combineLikeTerms()
            guard let merged = mergedPair() else { break }
            self = merged
        }
        // Outer loops' variables first, so offsets read as `32 * o + c`.
        terms.sort { ($0.atom.level, $0.atom.description) < ($1.atom.level, $1.atom.description) }
    }

    private mutating func combineLikeTerms() {
        var combined: [Term] = []
        for term in terms {
            if let position = combined.firstIndex(where: { $0.atom == term.atom }) {
                combined[position].coefficient += term.coefficient
            } else {
                combined.append(term)
            }
        }
        terms = combined.filter { $0.coefficient != 0 }
    }

    /// The expression with one pair of terms re-joined, or `nil` when no pair matches:
    /// `k d (x / d) + k (x % d) = k x` and `k c ((x / c) % b) + k (x % c) = k (x % (c b))`.
    private func mergedPair() -> IndexExpression? {
        for (low, lowTerm) in terms.enumerated() {
            guard case let .remainder(x, modulus) = lowTerm.atom else { continue }
            let k = lowTerm.coefficient
            for (high, highTerm) in terms.enumerated() where high != low && highTerm.coefficient == k * modulus {
                let replacement: IndexExpression
                switch highTerm.atom {
                case let .quotient(dividend, divisor) where dividend == x && divisor == modulus:
                    replacement = x * k
                case let .remainder(inner, outerModulus):
                    guard case let .quotient(dividend, divisor)? = inner.singleAtom, dividend == x, divisor == modulus else { continue }
                    replacement = x.modulo(modulus * outerModulus) * k
                default:
                    continue
                }
                let others = terms.enumerated().filter { $0.offset != low && $0.offset != high }.map(\.element)
                return IndexExpression(constant: constant, terms: others) + replacement
            }
        }
        return nil
    }

    /// The atom, when the expression is exactly one atom.
    private var singleAtom: Atom? {
        constant == 0 && terms.count == 1 && terms[0].coefficient == 1 ? terms[0].atom : nil
    }

    // MARK: Rendering

    /// The expression in C syntax (the same in every C-family dialect).
    var description: String {
        var text = ""
        for term in terms {
            let magnitude = Swift.abs(term.coefficient)
            let factor = magnitude == 1 ? term.atom.description : "\(magnitude) * \(term.atom.description)"
            if text.isEmpty {
                text = term.coefficient < 0 ? "-" + factor : factor
            } else {
                text += term.coefficient < 0 ? " - " + factor : " + " + factor
            }
        }
        if text.isEmpty { return "\(constant)" }
        if constant != 0 { text += constant < 0 ? " - \(-constant)" : " + \(constant)" }
        return text
    }

    /// The expression, parenthesized unless it is a single atom or number.
    var parenthesized: String {
        terms.isEmpty || (constant == 0 && terms.count == 1 && terms[0].coefficient == 1) ? description : "(\(description))"
    }
}

extension IndexExpression.Atom: CustomStringConvertible {
    var description: String {
        switch self {
        case let .variable(variable): variable.name
        case let .quotient(expression, divisor): "(\(expression.parenthesized) / \(divisor))"
        case let .remainder(expression, modulus): "(\(expression.parenthesized) % \(modulus))"
        case let .clamped(expression, lower, upper): "acc_clamp(\(expression), \(lower), \(upper))"
        }
    }

    /// Whether the atom depends on the variable `name`.
    func uses(_ name: String) -> Bool {
        switch self {
        case let .variable(variable): variable.name == name
        case let .quotient(expression, _), let .remainder(expression, _), let .clamped(expression, _, _):
            expression.terms.contains { $0.atom.uses(name) }
        }
    }

    var level: Int {
        switch self {
        case let .variable(variable): variable.level
        case let .quotient(expression, _), let .remainder(expression, _), let .clamped(expression, _, _): expression.level
        }
    }

    var bounds: (lower: Int, upper: Int) {
        switch self {
        case let .variable(variable):
            return (0, Swift.max(variable.extent - 1, 0))
        case let .quotient(expression, divisor):
            let inner = expression.bounds
            return (IndexExpression.floorDivide(inner.lower, divisor), IndexExpression.floorDivide(inner.upper, divisor))
        case let .remainder(expression, modulus):
            let inner = expression.bounds
            if inner.lower >= 0, inner.upper - inner.lower < modulus, inner.lower % modulus <= inner.upper % modulus {
                return (inner.lower % modulus, inner.upper % modulus)
            }
            return (0, modulus - 1)
        case let .clamped(expression, lower, upper):
            let inner = expression.bounds
            return (Swift.min(Swift.max(inner.lower, lower), upper), Swift.max(Swift.min(inner.upper, upper), lower))
        }
    }
}

extension IndexExpression {
    /// The row-major offset of `index` in a tensor of `shape`.
    static func linearized(_ index: [IndexExpression], in shape: Shape) -> IndexExpression {
        var offset = IndexExpression(0)
        for (axis, stride) in shape.strides.enumerated().reversed() { offset = offset + index[axis] * stride }
        return offset
    }

    /// The multi-index of row-major `offset` in a tensor of `shape`.
    static func decomposed(_ offset: IndexExpression, in shape: Shape) -> [IndexExpression] {
        guard shape.elementCount > 0 else { return [IndexExpression](repeating: IndexExpression(0), count: shape.rank) }
        let strides = shape.strides
        return (0..<shape.rank).map { axis in offset.divided(by: strides[axis]).modulo(shape[axis]) }
    }
}
