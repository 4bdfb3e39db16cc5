/// The static dimensions of a tensor, outermost first; `[]` is a scalar.
///
/// A shape is valid only if every dimension is non-negative and the element count fits in `Int`;
/// the throwing initializer enforces both so that no later arithmetic can overflow.
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The dimensions, outermost first.
    public let dimensions: [Int]
    /// The number of elements, the product of the dimensions (1 for a scalar).
    public let elementCount: Int

    /// Creates a shape, or returns `nil` if a dimension is negative or the element count overflows `Int`.
    public init?(checking dimensions: [Int]) {
        var count = 1
        for dimension in dimensions {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        self.dimensions = dimensions
        self.elementCount = count
    }

    /// Creates a shape from dimensions the caller knows to be valid (literals, derived shapes).
    public init(_ dimensions: [Int]) {
        guard let shape = Shape(checking: dimensions) else {
            preconditionFailure("Shape(\(dimensions)): negative dimension or element count overflow")
        }
        self = shape
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// The number of dimensions.
    public var rank: Int { dimensions.count }

    /// The dimension at `axis`.
    public subscript(axis: Int) -> Int { dimensions[axis] }

    /// Row-major strides in elements: the distance between neighbours along each axis.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= dimensions[axis]
        }
        return strides
    }

    /// The `.kir` spelling, e.g. `[2, 3]`.
    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
