/// A place in `.kir` text, 1-based; graphs built in Swift carry ``generated`` instead.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 1-based line, or 0 for a graph built through ``GraphBuilder``.
    public var line: Int
    /// The 1-based column, counted in Unicode scalars.
    public var column: Int

    /// Creates a location.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The location of everything a ``GraphBuilder`` creates: there is no text to point at.
    public static let generated = SourceLocation(line: 0, column: 0)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `line:column`, or `<builder>` for generated code.
    public var description: String { line == 0 ? "<builder>" : "\(line):\(column)" }
}
