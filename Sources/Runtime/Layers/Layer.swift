/// A neural-network building block that owns named parameters: the runtime's word for what PyTorch and
/// MLX call a module (``KernelIR/Module`` keeps its one meaning, a `.kir` file).
///
/// A layer is a value whose parameters are ``Tensor``s. It lists them, with their paths, through one
/// method; everything else (``parameters``, ``update(parameters:)``, ``save(to:)``, ``load(from:)``, the
/// training step's substitution of placeholders) is built on it. Paths join field names with dots, so
/// they map one to one onto safetensors keys: a VDiT's `blocks.0.qkv.weight`.
///
/// ```swift
/// struct MLP: Layer {
///     var fc1: Linear, fc2: Linear
///     mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
///         try fc1.visitParameters(under: "fc1", visit)
///         try fc2.visitParameters(under: "fc2", visit)
///     }
///     func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor { try fc2(fc1(x).geluTanh()) }
/// }
/// ```
public protocol Layer: Sendable {
    /// Calls `visit` with the path and a mutable reference of every parameter, always in the same order.
    /// - Throws: what `visit` throws.
    mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError)
}

/// What ``Layer/visitParameters(_:)`` calls for each parameter: its path and the tensor, which it may replace.
public typealias ParameterVisitor = (_ path: String, _ parameter: inout Tensor) throws(RuntimeError) -> Void

/// A layer that maps one tensor to one tensor, so layers compose (`Sequential`-style code, generic helpers).
public protocol UnaryLayer: Layer {
    /// The layer applied to `x`.
    /// - Throws: ``RuntimeError`` when `x` does not fit the layer.
    func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor
}

extension Layer {
    /// Visits this layer's parameters with `prefix` and a dot before each path: how a layer lists a child's.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(under prefix: String, _ visit: ParameterVisitor) throws(RuntimeError) {
        try visitParameters { (path: String, parameter: inout Tensor) throws(RuntimeError) in
            try visit(prefix.isEmpty ? path : prefix + "." + path, &parameter)
        }
    }

    /// Every parameter with its path, in visiting order.
    public var namedParameters: [(path: String, tensor: Tensor)] {
        var copy = self
        var result: [(path: String, tensor: Tensor)] = []
        // The visitor below never throws, so neither does the visit.
        try? copy.visitParameters { (path: String, parameter: inout Tensor) throws(RuntimeError) in result.append((path, parameter)) }
        return result
    }

    /// The parameters by path.
    public var parameters: [String: Tensor] {
        Dictionary(namedParameters.map { ($0.path, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.elementCount } }

    /// The layer with every parameter replaced by `transform(path, parameter)`, unchecked: for casts
    /// (`asType(.bf16)`) and placeholders. Use ``update(parameters:)`` for values from outside.
    /// - Throws: what `transform` throws.
    public func mapParameters(_ transform: (String, Tensor) throws(RuntimeError) -> Tensor) throws(RuntimeError) -> Self {
        var copy = self
        try copy.visitParameters { (path: String, parameter: inout Tensor) throws(RuntimeError) in
            parameter = try transform(path, parameter)
        }
        return copy
    }

    /// Replaces every parameter with the tensor of its path in `parameters`, which must hold exactly the
    /// layer's paths, each with the parameter's dtype and shape, on the parameter's device.
    /// - Throws: ``RuntimeError/parameterMismatch(key:reason:)`` naming the first missing, extra or mistyped key.
    public mutating func update(parameters: [String: Tensor]) throws(RuntimeError) {
        var remaining = parameters
        try visitParameters { (path: String, parameter: inout Tensor) throws(RuntimeError) in
            guard let replacement = remaining.removeValue(forKey: path) else {
                throw .parameterMismatch(key: path, reason: "missing; the layer needs it as \(parameter.type)")
            }
            guard replacement.type == parameter.type else {
                throw .parameterMismatch(key: path, reason: "expected \(parameter.type), got \(replacement.type)")
            }
            guard replacement.device.id == parameter.device.id else {
                throw .parameterMismatch(key: path, reason: "lives on \(replacement.device.id), but the layer is on \(parameter.device.id)")
            }
            parameter = replacement
        }
        if let extra = remaining.keys.sorted().first {
            throw .parameterMismatch(key: extra, reason: "unexpected: the layer has no parameter with this path")
        }
    }

    /// Computes every parameter that is still a recipe (a seeded initialiser) on its device, in one graph.
    /// - Throws: as ``Tensor/evaluate(_:)`` does.
    public func evaluateParameters() throws(RuntimeError) {
        try Tensor.evaluate(namedParameters.map(\.tensor))
    }
}
