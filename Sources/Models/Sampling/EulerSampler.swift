import Backends
import KernelIR
import Runtime

/// The rectified-flow sampler of vdit.md: starts from pure noise at t = 1 and takes `steps` Euler steps
/// of dx/dt = model(x, t) down to t = 0, every step one compiled call on the device.
///
/// ```swift
/// let sampler = try EulerSampler(program: VDiTProgram(configuration: .small), device: device)
/// let clips = try sampler.sample(parameters: weights, steps: 20, seed: 0)   // [B, T, H, W, C]
/// try AnimatedGIF(clips: clips).write(to: URL(fileURLWithPath: "samples.gif"))
/// ```
public struct EulerSampler: Sendable {
    /// The model's program.
    public let program: VDiTProgram
    /// ``VDiTProgram/eulerStepGraph()`` compiled for the device.
    public let step: CompiledFunction

    /// A sampler for `program` on `device`, compiling its Euler step once.
    /// - Throws: ``TrainingError/program(_:)`` or ``TrainingError/runtime(_:)`` when the step cannot be built.
    public init(program: VDiTProgram, device: any Device) throws(TrainingError) {
        self.program = program
        let graph: Graph
        do { graph = try program.eulerStepGraph() } catch { throw .program(error) }
        do { step = try device.compile(graph) } catch { throw .runtime(error) }
    }

    /// `B` clips `[B, T, H, W, C]` generated from the noise of `seed` by `steps` Euler steps, with the
    /// model's parameters already on the device (in ``VDiTProgram/parameters`` order).
    /// - Throws: ``TrainingError/runtime(_:)`` when the device fails.
    public func sample(parameters: [DeviceArray], steps: Int, seed: UInt64) throws(TrainingError) -> TensorValue {
        precondition(steps >= 1, "EulerSampler: at least one step")
        let c = program.configuration
        let clipType = program.batchParameters[0].type
        let noise = RandomStream(seed: seed, purpose: .sample, item: 0)
        let start = TensorValue(converting: (0..<clipType.elementCount).map(noise.normal), to: clipType)
        let stepSize = TensorValue(converting: [1 / Double(steps)], to: TensorType(.f32, []))
        do throws(RuntimeError) {
            let device = step.device
            var x = try DeviceArray(start, on: device)
            let dt = try DeviceArray(stepSize, on: device)
            for index in 0..<steps {
                let time = 1 - Double(index) / Double(steps)
                let t = try DeviceArray(TensorValue(repeating: time, TensorType(.f32, [c.batchSize])), on: device)
                x = try step.run(parameters + [x, t, dt])[0]
            }
            return try x.toHost()
        } catch {
            throw .runtime(error)
        }
    }
}
