import Backends
import KernelIR

/// A lazy tensor: a dtype, a shape and a device, plus the recipe for its values.
///
/// Operations on tensors record KernelIR and return at once; nothing runs until a value is read
/// (``scalars``, ``item()``, ``array``) or ``evaluate()`` is called. Then the recorded graph is compiled
/// for the tensor's device (once per graph: the compile cache answers repeats) and run there.
/// A tensor is a value: operations never change their operands.
///
/// ```swift
/// let device = try Runtime.device("cpu:0")
/// let x = try Tensor([1, 2, 3, 4], shape: [2, 2], on: device)
/// let y = try (x.matmul(x) + 1).softmax()
/// print(try y.scalars)                      // compiles and runs one graph on cpu:0
/// ```
///
/// Operations throw ``RuntimeError`` at the call that is wrong (a shape that does not fit, operands on
/// two devices, different dtypes), so `try` covers a whole expression: `try x.matmul(w) + b`.
public struct Tensor: Sendable, CustomStringConvertible {
    let node: TensorNode

    init(node: TensorNode) { self.node = node }

    /// The element type and shape.
    public var type: TensorType { node.type }
    /// The dimensions.
    public var shape: Shape { node.type.shape }
    /// The element type.
    public var dtype: DType { node.type.dtype }
    /// The number of dimensions.
    public var rank: Int { node.type.rank }
    /// The number of elements.
    public var elementCount: Int { node.type.elementCount }
    /// The device the tensor lives on, where its operations run.
    public var device: any Device { node.device }

    /// `Tensor(f32[2, 3] on cpu:0)`; printing never runs anything (read ``scalars`` for the values).
    public var description: String { "Tensor(\(type) on \(device.id))" }

    // MARK: - Creation from data

    /// A tensor holding `array`'s values, on its device; nothing is copied.
    public init(_ array: DeviceArray) {
        self.init(node: TensorNode(.data(array), type: array.type, device: array.device))
    }

    /// `value` copied to `device`.
    /// - Throws: ``RuntimeError/backend(_:)`` when allocation or the copy fails.
    public init(_ value: TensorValue, on device: any Device) throws(RuntimeError) {
        self.init(try DeviceArray(value, on: device))
    }

    /// A tensor of `shape` and `dtype` holding `scalars` in row-major order (converted to the dtype), copied to `device`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when the count differs from the shape's,
    ///   ``RuntimeError/backend(_:)`` when the copy fails.
    public init(_ scalars: [Double], shape: Shape, dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        guard scalars.count == shape.elementCount else {
            throw .invalidArgument(operation: "Tensor(_:shape:)",
                                   reason: "\(scalars.count) scalars cannot fill shape \(shape), which holds \(shape.elementCount)")
        }
        try self.init(TensorValue(converting: scalars, to: TensorType(dtype, shape)), on: device)
    }

    /// A scalar (rank-0) tensor recorded as a constant: no copy, folded into the graph that uses it.
    public init(_ value: Double, dtype: DType = .f32, on device: any Device) {
        self = Tensor.constant(value, TensorType(dtype, []), on: device)
    }

    /// The tensor copied to `device` through the host; the tensor itself when it is already there.
    /// - Throws: what evaluating or copying throws.
    public func to(_ device: any Device) throws(RuntimeError) -> Tensor {
        if device.id == self.device.id { return self }
        return try Tensor(array, on: device)
    }

    // MARK: - Recording operations

    /// The result of `op` on `operands`, typed by the IR's shape rule; the op is recorded, not run.
    /// - Throws: ``RuntimeError/deviceMismatch(operation:devices:)`` or ``RuntimeError/invalidOperation(_:operands:_:)``.
    static func apply(_ op: Op, _ operands: [Tensor], name: String? = nil) throws(RuntimeError) -> Tensor {
        guard let first = operands.first else {
            preconditionFailure("Tensor.apply: operations without operands go through Tensor.source(_:on:)")
        }
        let devices = operands.map(\.device.id)
        if let other = devices.first(where: { $0 != first.device.id }) {
            throw .deviceMismatch(operation: name ?? op.mnemonic, devices: [first.device.id, other])
        }
        let types = operands.map(\.type)
        let site = Site(op: op.mnemonic, value: "result", location: .generated)
        let type: TensorType
        do throws(KIRError) { type = try ShapeRules.resultType(of: op, operands: types, at: site) } catch {
            throw .invalidOperation(name ?? op.mnemonic, operands: types, error)
        }
        return Tensor(node: TensorNode(.operation(op, operands.map(\.node)), type: type, device: first.device))
    }

    /// A tensor made by an op without operands (`constant`, `iota`, `random`) of the type the op names.
    static func source(_ op: Op, _ type: TensorType, on device: any Device) -> Tensor {
        Tensor(node: TensorNode(.operation(op, []), type: type, device: device))
    }

    /// A splat constant of `type`.
    static func constant(_ value: Double, _ type: TensorType, on device: any Device) -> Tensor {
        source(.constant(.splat(type.dtype.converting(value)), type: type), type, on: device)
    }
}
