import KernelIR
import Runtime

/// Why a training run could not start or go on. Wraps the layer below, never flattens it.
public enum TrainingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A batch file lacks `x0`, `eps` or `t`, or cannot be read.
    case batchFile(SafetensorsError)
    /// A batch tensor's shape is not the model's.
    case batchShapeMismatch(String, expected: Shape, found: Shape, model: String)
    /// A batch tensor is not float32.
    case batchDTypeMismatch(String, found: DType)
    /// The checkpoint (or initial weights) does not fit the model.
    case checkpoint(CheckpointError)
    /// The model's program could not be built.
    case program(KIRError)
    /// The device failed or refused.
    case runtime(RuntimeError)
    /// An output file (a sample GIF) could not be written.
    case writeFailed(path: String, reason: String)

    /// The message users read: what is wrong and what to try.
    public var description: String {
        switch self {
        case let .batchFile(error):
            "batch: \(error.description)"
        case let .batchShapeMismatch(key, expected, found, model):
            "batch tensor '\(key)' has shape \(found), but \(model) expects \(expected); "
                + "regenerate the batch for this model, or pick the model (and --batch-size) it was made for"
        case let .batchDTypeMismatch(key, found):
            "batch tensor '\(key)' is \(found); batches must be f32"
        case let .checkpoint(error):
            error.description
        case let .program(error):
            error.description
        case let .runtime(error):
            error.description
        case let .writeFailed(path, reason):
            "cannot write '\(path)': \(reason); check that the directory is writable"
        }
    }
}
