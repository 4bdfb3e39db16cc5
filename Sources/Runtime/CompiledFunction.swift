import Backends
import Foundation
import KernelIR

/// How a graph is compiled for a device.
public struct CompileOptions: Hashable, Sendable {
    /// Whether to run the graph passes (simplification, folding, CSE, DCE) before scheduling.
    public var optimizes: Bool

    /// Creates options; optimization is on by default.
    public init(optimizes: Bool = true) { self.optimizes = optimizes }
}

/// A graph compiled for one device: call it with host arrays, or run it on device arrays without
/// leaving the device.
public final class CompiledFunction: Sendable {
    /// The function's name.
    public let name: String
    /// The device it runs on.
    public let device: any Device
    /// The compiled program.
    public let executable: any Executable
    /// The types it takes, in order.
    public let inputTypes: [TensorType]
    /// The types it returns, in order.
    public let outputTypes: [TensorType]

    init(name: String, device: any Device, executable: any Executable, inputTypes: [TensorType], outputTypes: [TensorType]) {
        self.name = name
        self.device = device
        self.executable = executable
        self.inputTypes = inputTypes
        self.outputTypes = outputTypes
    }

    /// Runs the function on host arrays and waits for the results.
    /// - Throws: ``RuntimeError/inputMismatch(function:reason:)`` for inputs of the wrong types,
    ///   ``RuntimeError/backend(_:)`` when the device fails.
    public func callAsFunction(_ inputs: [TensorValue]) throws(RuntimeError) -> [TensorValue] {
        guard inputs.map(\.type) == inputTypes else {
            throw .inputMismatch(function: name, reason: "takes (\(inputTypes.map(\.description).joined(separator: ", "))), got (\(inputs.map(\.type.description).joined(separator: ", ")))")
        }
        var arguments: [DeviceArray] = []
        for input in inputs { arguments.append(try DeviceArray(input, on: device)) }
        let results = try run(arguments)
        var values: [TensorValue] = []
        for result in results { values.append(try result.toHost()) }
        return values
    }

    /// Runs the function on arrays already on its device and returns new device arrays, waiting
    /// for completion; nothing crosses to the host.
    public func run(_ inputs: [DeviceArray]) throws(RuntimeError) -> [DeviceArray] {
        let outputs = try start(inputs)
        try outputs.event.wait()
        return outputs.arrays
    }

    /// Runs the function on device arrays, writing into `outputs` (one per result, of the result
    /// types), and returns when they are written: the steady-state path of a training loop.
    public func run(_ inputs: [DeviceArray], into outputs: [DeviceArray]) throws(RuntimeError) {
        try validate(inputs)
        guard outputs.map(\.type) == outputTypes else {
            throw .inputMismatch(function: name, reason: "writes (\(outputTypes.map(\.description).joined(separator: ", "))), got output arrays (\(outputs.map(\.type.description).joined(separator: ", ")))")
        }
        RuntimeCounters.record(\.launches)
        do throws(BackendError) {
            try device.run(executable, inputs: inputs.map(\.buffer), outputs: outputs.map(\.buffer))
        } catch {
            throw .backend(error)
        }
    }

    private func validate(_ inputs: [DeviceArray]) throws(RuntimeError) {
        guard inputs.map(\.type) == inputTypes else {
            throw .inputMismatch(function: name, reason: "takes (\(inputTypes.map(\.description).joined(separator: ", "))), got (\(inputs.map(\.type.description).joined(separator: ", ")))")
        }
        for input in inputs where input.device.id != device.id {
            throw .inputMismatch(function: name, reason: "an input lives on \(input.device.id), but the function runs on \(device.id)")
        }
    }

    /// Enqueues a run and returns at once: the arrays are valid once the event completes.
    public func start(_ inputs: [DeviceArray]) throws(RuntimeError) -> (arrays: [DeviceArray], event: Completion) {
        try validate(inputs)
        var outputs: [DeviceArray] = []
        for type in outputTypes { outputs.append(try DeviceArray(uninitialized: type, on: device)) }
        RuntimeCounters.record(\.launches)
        let event = device.execute(executable, inputs: inputs.map(\.buffer), outputs: outputs.map(\.buffer))
        return (outputs, Completion(event))
    }
}

/// The completion of an enqueued run, as the runtime reports it.
public struct Completion: Sendable {
    /// The device's event.
    public let event: Event

    init(_ event: Event) { self.event = event }

    /// Blocks until the run is done.
    /// - Throws: ``RuntimeError/backend(_:)`` when it failed.
    public func wait() throws(RuntimeError) {
        do { try event.wait() } catch { throw .backend(error) }
    }

    /// Whether the run is done.
    public var isComplete: Bool { event.isComplete }
}
