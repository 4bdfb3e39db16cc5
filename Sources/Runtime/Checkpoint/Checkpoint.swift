import Foundation
import KernelIR

/// A training run's state between two steps: parameters, optimizer state, the step count and the
/// random stream's position, stored as one safetensors file.
///
/// Parameters keep their own keys (vdit.md's names for VDiT), so a checkpoint loads in PyTorch with
/// `safetensors.torch.load_file` and a PyTorch `state_dict` saved with those keys loads here. Optimizer
/// state lives beside them as `<slot>.<key>` (AdamW: `m.<key>`, `v.<key>`); the step and random state
/// are metadata strings under `acc.*`. A file with no `acc.*` metadata (a PyTorch export) reads as step 0
/// with no optimizer state.
///
/// ```swift
/// let checkpoint = Checkpoint(parameters: weights, optimizerState: moments, step: 100,
///                             random: RandomState(seed: 7, counter: 100))
/// try checkpoint.write(to: URL(fileURLWithPath: "run/checkpoint.safetensors"))
/// let resumed = try Checkpoint(contentsOf: URL(fileURLWithPath: "run/checkpoint.safetensors"))
/// ```
public struct Checkpoint: Hashable, Sendable {
    /// Parameters by key.
    public var parameters: [String: TensorValue]
    /// Optimizer state by `<slot>.<parameter key>`, e.g. `m.pos_embed`.
    public var optimizerState: [String: TensorValue]
    /// The optimizer's slot names, the prefixes of ``optimizerState``'s keys (AdamW: `m`, `v`).
    public var optimizerSlots: [String]
    /// Steps taken so far; the next step is `step + 1`.
    public var step: Int
    /// Where the run's random stream (data, noise, times) stands.
    public var random: RandomState
    /// Free-form strings saved with the run (model name, learning rate); keys must not begin with `acc.`.
    public var metadata: [String: String]

    /// Creates a checkpoint from a run's state.
    public init(parameters: [String: TensorValue], optimizerState: [String: TensorValue] = [:],
                optimizerSlots: [String] = [], step: Int = 0, random: RandomState = RandomState(seed: 0),
                metadata: [String: String] = [:]) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.optimizerSlots = optimizerSlots
        self.step = step
        self.random = random
        self.metadata = metadata
    }

    /// The file name a checkpoint takes inside a run's directory.
    public static let fileName = "checkpoint.safetensors"

    /// The checkpoint file of the run directory `directory`.
    public static func url(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }
}

extension Checkpoint {
    /// The checkpoint as safetensors contents: tensors under their keys, state under `acc.*` metadata.
    public var file: SafetensorsFile {
        var tensors = parameters
        tensors.merge(optimizerState) { parameter, _ in parameter }
        var strings = metadata.filter { !$0.key.hasPrefix(MetadataKey.prefix) }
        strings[MetadataKey.format] = MetadataKey.currentFormat
        strings[MetadataKey.step] = String(step)
        strings[MetadataKey.seed] = String(random.seed)
        strings[MetadataKey.counter] = String(random.counter)
        strings[MetadataKey.slots] = optimizerSlots.joined(separator: ",")
        return SafetensorsFile(tensors: tensors, metadata: strings)
    }

    /// Reads a checkpoint from safetensors contents, as ``file`` writes them or as PyTorch saves a `state_dict`.
    /// - Throws: ``CheckpointError/invalidMetadata(key:value:expected:)`` for an unreadable `acc.*` entry.
    public init(_ file: SafetensorsFile) throws(CheckpointError) {
        func integer(_ key: String, default fallback: Int) throws(CheckpointError) -> Int {
            guard let text = file.metadata[key] else { return fallback }
            guard let value = Int(text), value >= 0 else {
                throw .invalidMetadata(key: key, value: text, expected: "a non-negative integer")
            }
            return value
        }
        if let format = file.metadata[MetadataKey.format], format != MetadataKey.currentFormat {
            throw .invalidMetadata(key: MetadataKey.format, value: format, expected: "'\(MetadataKey.currentFormat)'")
        }
        let slots = (file.metadata[MetadataKey.slots] ?? "").split(separator: ",").map(String.init)
        var parameters: [String: TensorValue] = [:], state: [String: TensorValue] = [:]
        for (key, tensor) in file.tensors {
            if slots.contains(where: { key.hasPrefix($0 + ".") }) { state[key] = tensor } else { parameters[key] = tensor }
        }
        let seedText = file.metadata[MetadataKey.seed] ?? "0"
        guard let seed = UInt64(seedText) else {
            throw .invalidMetadata(key: MetadataKey.seed, value: seedText, expected: "an unsigned 64-bit integer")
        }
        self.init(parameters: parameters, optimizerState: state, optimizerSlots: slots,
                  step: try integer(MetadataKey.step, default: 0),
                  random: RandomState(seed: seed, counter: try integer(MetadataKey.counter, default: 0)),
                  metadata: file.metadata.filter { !$0.key.hasPrefix(MetadataKey.prefix) })
    }

    /// Reads the checkpoint file at `url`.
    /// - Throws: ``CheckpointError/notFound(path:)`` when there is no file, ``CheckpointError/file(_:)``
    ///   when it cannot be read, or what ``init(_:)`` throws.
    public init(contentsOf url: URL) throws(CheckpointError) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notFound(path: url.path) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOf: url) } catch { throw .file(error) }
        try self.init(file)
    }

    /// Writes the checkpoint to `url` atomically (temporary file, `fsync`, rename): a process killed
    /// mid-save leaves the previous checkpoint at `url` whole. Creates the directory if it is missing.
    /// - Throws: ``CheckpointError/file(_:)`` naming the step that failed.
    public func write(to url: URL) throws(CheckpointError) {
        try write(to: url, beforeReplacing: {})
    }

    /// ``write(to:)`` calling `beforeReplacing` when the new file is complete but not yet in place, so
    /// tests can kill the process at the worst moment.
    package func write(to url: URL, beforeReplacing: () -> Void) throws(CheckpointError) {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .file(.writeFailed(path: url.path, reason: "creating its directory failed (\(error.localizedDescription))"))
        }
        do { try file.write(to: url, beforeReplacing: beforeReplacing) } catch { throw .file(error) }
    }

    /// The metadata keys acc owns.
    enum MetadataKey {
        static let prefix = "acc."
        static let format = "acc.format"
        static let currentFormat = "checkpoint-1"
        static let step = "acc.step"
        static let seed = "acc.rng.seed"
        static let counter = "acc.rng.counter"
        static let slots = "acc.optimizer.slots"
    }
}
