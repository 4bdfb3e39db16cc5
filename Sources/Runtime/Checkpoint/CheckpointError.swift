import KernelIR

/// Why a checkpoint could not be read, matched to a model, or written. Each case names the key at fault.
public enum CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read or written, or is not a valid safetensors file.
    case file(SafetensorsError)
    /// The model has a parameter (or optimizer slot) that the checkpoint lacks.
    case missingTensor(String)
    /// The checkpoint holds a tensor the model has no parameter for.
    case unexpectedTensor(String, known: [String])
    /// A tensor's shape differs from the model's.
    case shapeMismatch(String, expected: Shape, found: Shape)
    /// A tensor's dtype differs from the model's.
    case dtypeMismatch(String, expected: DType, found: DType)
    /// An `acc.*` metadata entry holds a value that cannot be read.
    case invalidMetadata(key: String, value: String, expected: String)
    /// No checkpoint exists where one was to be resumed from.
    case notFound(path: String)

    /// The message users read: what is wrong, with which key, and what to try.
    public var description: String {
        switch self {
        case let .file(error):
            error.description
        case let .missingTensor(key):
            "the checkpoint has no tensor '\(key)', which the model needs; it was saved from a different model "
                + "or configuration"
        case let .unexpectedTensor(key, known):
            "the checkpoint holds '\(key)', which is not a parameter of the model"
                + (known.count <= 8 ? " (its parameters are \(known.joined(separator: ", ")))" : " (\(known.count) parameters)")
                + "; it was saved from a different model or configuration"
        case let .shapeMismatch(key, expected, found):
            "tensor '\(key)' has shape \(found) in the checkpoint but the model needs \(expected); "
                + "it was saved from a different configuration"
        case let .dtypeMismatch(key, expected, found):
            "tensor '\(key)' is \(found) in the checkpoint but the model needs \(expected); convert it, e.g. "
                + "to float32 in PyTorch with `{k: v.float() for k, v in state.items()}`"
        case let .invalidMetadata(key, value, expected):
            "checkpoint metadata '\(key)' is '\(value)', but must be \(expected); the file is corrupt or "
                + "was not written by acc"
        case let .notFound(path):
            "no checkpoint at '\(path)'; train without --resume first, or point --checkpoint at the directory "
                + "of an earlier run"
        }
    }
}
