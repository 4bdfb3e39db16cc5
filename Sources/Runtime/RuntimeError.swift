import Backends
import KernelIR

/// Why the runtime could not do what training code asked. Wraps the layer below, never flattens it.
public enum RuntimeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A device failed or refused.
    case backend(BackendError)
    /// The program is malformed, or could not be differentiated.
    case program(KIRError)
    /// Inputs that do not match what a compiled function takes.
    case inputMismatch(function: String, reason: String)
    /// A tensor operation whose operands do not fit it: `operation` names the call (`matmul`,
    /// `+`), `operands` their types, and the IR's shape rule says why.
    case invalidOperation(String, operands: [TensorType], KIRError)
    /// A tensor operation given operands or arguments it cannot take, said in the caller's terms.
    case invalidArgument(operation: String, reason: String)
    /// Operands that live on different devices; tensors never move implicitly.
    case deviceMismatch(operation: String, devices: [DeviceID])
    /// A value read (`.scalars`, `.item`) from a tensor that depends on a placeholder (of this type) of a
    /// function being traced, and so has no value yet.
    case readDuringTracing(TensorType)
    /// Parameters that do not match a layer's: a missing, unexpected or mistyped key.
    case parameterMismatch(key: String, reason: String)
    /// A safetensors file could not be read or written.
    case safetensors(SafetensorsError)
    /// A feature this version does not support yet.
    case notImplemented(String)

    /// The message: what is wrong, where, and what to try.
    public var description: String {
        switch self {
        case let .backend(error): error.description
        case let .program(error): error.description
        case let .inputMismatch(function, reason): "@\(function): \(reason)"
        case let .invalidOperation(operation, operands, error):
            "\(operation) of (\(operands.map(\.description).joined(separator: ", "))): \(error.reason)"
        case let .invalidArgument(operation, reason): "\(operation): \(reason)"
        case let .deviceMismatch(operation, devices):
            "\(operation): operands live on \(devices.map(\.rawValue).joined(separator: " and ")); "
                + "move them to one device first with Tensor.to(_:)"
        case let .readDuringTracing(type):
            "cannot read a value that depends on a \(type) placeholder while a function is traced; "
                + "return the tensor from the compiled function and read it from the result"
        case let .parameterMismatch(key, reason): "parameter '\(key)': \(reason)"
        case let .safetensors(error): error.description
        case let .notImplemented(feature): "not implemented: \(feature)"
        }
    }
}

extension KIRError {
    /// What is wrong, without the `.kir` location and SSA name, which mean nothing to tensor code.
    var reason: String {
        switch self {
        case let .arity(_, expected, found): "takes \(expected) operand\(expected == "1" ? "" : "s"), got \(found)"
        case let .dtypeMismatch(_, expected, found): "needs \(expected), got \(found)"
        case let .shapeMismatch(_, expected, found): "needs \(expected), got \(found)"
        case let .invalidAttribute(_, attribute, reason): "\(attribute) \(reason)"
        default: description
        }
    }
}
