/// A stable, readable device identifier: `cpu:0`, `opencl:1`, `sim:tpu-v5e`, `plugin:acme:0`.
public struct DeviceID: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The identifier as written.
    public let rawValue: String

    /// Creates an identifier; any text with a backend prefix before a `:` is well formed.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.init(value) }

    /// The backend family: the text before the first `:` (`cpu`, `opencl`, `sim`, `plugin`).
    public var backend: String { String(rawValue.prefix { $0 != ":" }) }

    public var description: String { rawValue }

    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.rawValue < rhs.rawValue }
}
