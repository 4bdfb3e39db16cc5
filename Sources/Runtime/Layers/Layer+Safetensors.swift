import Foundation
import KernelIR

/// Parameters to and from safetensors files, keyed by parameter path: the format PyTorch and JAX read, so
/// weights cross frameworks when the paths follow the same names (vdit.md's keys, for VDiT).
extension Layer {
    /// The parameters as a safetensors file's contents (each copied to the host once), with `metadata`.
    /// - Throws: what evaluating or copying a parameter throws.
    public func safetensors(metadata: [String: String] = [:]) throws(RuntimeError) -> SafetensorsFile {
        let named = namedParameters
        try Tensor.evaluate(named.map(\.tensor))
        var tensors: [String: TensorValue] = [:]
        for (path, tensor) in named { tensors[path] = try tensor.array }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Writes the parameters to a safetensors file at `url`, atomically (see ``KernelIR/SafetensorsFile/write(to:)``).
    /// - Throws: ``RuntimeError/safetensors(_:)`` when writing fails, or what reading the parameters throws.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(RuntimeError) {
        let file = try safetensors(metadata: metadata)
        do throws(SafetensorsError) { try file.write(to: url) } catch { throw .safetensors(error) }
    }

    /// Replaces every parameter with the tensor of its path in `file`, copied to the parameter's device.
    ///
    /// The file must hold exactly the layer's paths with the parameters' shapes; a tensor of another floating
    /// dtype is converted (a bf16 checkpoint loads into f32 parameters), any other difference is an error.
    /// - Throws: ``RuntimeError/parameterMismatch(key:reason:)`` naming the first missing, extra or
    ///   mis-shaped key, ``RuntimeError/backend(_:)`` when a copy fails.
    public mutating func load(_ file: SafetensorsFile) throws(RuntimeError) {
        var remaining = Set(file.tensors.keys)
        try visitParameters { (path: String, parameter: inout Tensor) throws(RuntimeError) in
            guard let value = file.tensors[path] else {
                // A key under an extra or missing prefix (`module.`, `model.`) is the usual near miss.
                let near = remaining.sorted().filter { $0.hasSuffix("." + path) || path.hasSuffix("." + $0) }.prefix(3)
                throw .parameterMismatch(key: path, reason: "missing from the file, which should hold it as \(parameter.type)"
                    + (near.isEmpty ? "" : "; the file has " + near.joined(separator: ", ")))
            }
            remaining.remove(path)
            guard value.shape == parameter.shape, value.dtype == parameter.dtype || (value.dtype.isFloatingPoint && parameter.dtype.isFloatingPoint) else {
                throw .parameterMismatch(key: path, reason: "expected \(parameter.type), the file has \(value.type)")
            }
            let converted = value.dtype == parameter.dtype ? value : TensorValue(converting: value.scalars, to: parameter.type)
            parameter = try Tensor(converted, on: parameter.device)
        }
        if let extra = remaining.sorted().first {
            throw .parameterMismatch(key: extra, reason: "unexpected in the file: the layer has no parameter with this path")
        }
    }

    /// Replaces every parameter with the tensor of its path in the safetensors file at `url`; see ``load(_:)``.
    /// - Throws: ``RuntimeError/safetensors(_:)`` when the file cannot be read, or what ``load(_:)`` throws.
    public mutating func load(from url: URL) throws(RuntimeError) {
        let file: SafetensorsFile
        do throws(SafetensorsError) { file = try SafetensorsFile(contentsOf: url) } catch { throw .safetensors(error) }
        try load(file)
    }
}
