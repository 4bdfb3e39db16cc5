import Backends
import KernelIR

/// A Swift function of tensors captured as one IR function: traced once per input signature
/// (dtypes and shapes), compiled once for its device, then replayed with no tracing and no per-op dispatch.
///
/// The first call with a new signature runs the closure on placeholder tensors, which record every
/// operation (forward pass, ``grad(_:wrt:)``, optimizer update) into one graph; that graph is compiled by
/// ``Backends/Device/compile(_:options:)`` and cached. Every later call binds the inputs' device arrays and
/// launches the executable once; the results are new device arrays, so state fed back as the next call's
/// inputs never leaves the device.
///
/// ```swift
/// let step = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
///     let (w, x, y) = (inputs[0], inputs[1], inputs[2])
///     let loss = try (x.matmul(w) - y).square().mean()
///     return [loss, try w - 0.1 * grad(loss, wrt: [w])[0]]
/// }
/// var w = weights
/// for (x, y) in batches { let out = try step([w, x, y]); w = out[1] }
/// ```
///
/// Tensors the closure captures from outside are read when it is traced and bound as extra inputs; pass
/// anything that changes between calls as an argument. Reading a value inside the closure throws
/// ``RuntimeError/readDuringTracing(_:)``. Not `Sendable`: a training loop drives it from one task.
public final class CompiledTensorFunction {
    /// The device every call runs on.
    public let device: any Device
    private let function: ([Tensor]) throws(RuntimeError) -> [Tensor]
    private var entries: [[TensorType]: Entry] = [:]

    /// One traced and compiled signature.
    struct Entry {
        let capture: GraphCapture
        let compiled: CompiledFunction?
        let capturedArrays: [DeviceArray]
    }

    init(device: any Device, function: @escaping ([Tensor]) throws(RuntimeError) -> [Tensor]) {
        self.device = device
        self.function = function
    }

    /// How many input signatures have been traced and compiled so far.
    public var signatureCount: Int { entries.count }

    /// The IR of the function as traced for inputs of `types`, if it has been called with them: for inspection
    /// (`print(step.graph(for: ...)?.text ?? "")`) and for tests.
    public func graph(for types: [TensorType]) -> Graph? { entries[types]?.capture.graph }

    /// Runs the function on `inputs`, tracing and compiling it first if their signature is new.
    /// Inputs not yet evaluated are evaluated first; results are evaluated device arrays.
    /// - Throws: ``RuntimeError/deviceMismatch(operation:devices:)`` for an input on another device,
    ///   ``RuntimeError/readDuringTracing(_:)`` when the closure reads a value, what the closure throws while
    ///   traced, ``RuntimeError/program(_:)`` or ``RuntimeError/backend(_:)`` from compiling or running.
    public func callAsFunction(_ inputs: [Tensor]) throws(RuntimeError) -> [Tensor] {
        if let other = inputs.first(where: { $0.device.id != device.id }) {
            throw .deviceMismatch(operation: "compiled function on \(device.id)", devices: [device.id, other.device.id])
        }
        try Tensor.evaluate(inputs)
        let types = inputs.map(\.type)
        let entry: Entry
        if let cached = entries[types] {
            entry = cached
        } else {
            entry = try trace(types)
            entries[types] = entry
        }
        var arrays: [DeviceArray] = []
        for input in inputs { arrays.append(try input.deviceArray) }
        arrays += entry.capturedArrays
        let outputs = try entry.compiled?.run(arrays) ?? []
        return entry.capture.outputs.map { source in
            switch source {
            case let .result(index): Tensor(outputs[index])
            case let .parameter(index): Tensor(arrays[index])
            }
        }
    }

    private func trace(_ types: [TensorType]) throws(RuntimeError) -> Entry {
        RuntimeCounters.record(\.traces)
        let trace = TensorNode.traceCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let placeholders = types.enumerated().map { index, type in
            TensorNode(.placeholder(trace: trace, index: index), type: type, device: device)
        }
        let results = try function(placeholders.map { Tensor(node: $0) })
        if let other = results.first(where: { $0.device.id != device.id }) {
            throw .deviceMismatch(operation: "compiled function result", devices: [device.id, other.device.id])
        }
        let capture = try GraphCapture(results.map(\.node), leading: placeholders, name: "compiled", stopsAtEvaluated: true)
        var captured: [DeviceArray] = []
        for external in capture.externals {
            guard let array = external.array else { throw .readDuringTracing(external.type) }
            captured.append(array)
        }
        let compiled = capture.graph.results.isEmpty ? nil : try device.compile(capture.graph)
        return Entry(capture: capture, compiled: compiled, capturedArrays: captured)
    }
}

extension Device {
    /// `function` captured as one IR function for this device: see ``CompiledTensorFunction``.
    ///
    /// Nothing is traced until the first call; each new input signature is traced and compiled once.
    public func compile(_ function: @escaping ([Tensor]) throws(RuntimeError) -> [Tensor]) -> CompiledTensorFunction {
        CompiledTensorFunction(device: self, function: function)
    }
}
