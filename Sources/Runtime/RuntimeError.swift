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

    public var description: String {
        switch self {
        case let .backend(error): error.description
        case let .program(error): error.description
        case let .inputMismatch(function, reason): "@\(function): \(reason)"
        }
    }
}
