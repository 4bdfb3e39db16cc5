import ArgumentParser
import Backends
import Foundation
import KernelIR
import Models
import Runtime

/// `acctl compile`: show a program after optimization (`--emit ir`), after fusion and memory
/// planning (`--emit schedule`), or lowered to a simulated device's tiles with their modeled cost
/// (`--emit tiles --device sim:NAME`), with the figures that say how well each step did.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Optimize a .kir function (or a model's training step) and print its IR or kernel schedule.",
        discussion: "Give a .kir FILE, or --model NAME for that VDiT configuration's whole training step (loss, gradients, AdamW)."
    )

    /// The program levels `--emit` can show.
    enum Level: String, ExpressibleByArgument, CaseIterable {
        case ir, schedule, code, tiles
    }

    @Argument(help: "The .kir file to compile.")
    var file: String?

    @Option(help: "The function to compile (default: every function of the file).")
    var function: String?

    @Option(help: "Compile this model's training step instead of a file: \(VDiTConfiguration.all.map(\.name).joined(separator: ", ")).")
    var model: String?

    @Option(help: "What to print: ir (the optimized graph), schedule (kernels, buffers, bytes, FLOPs), code (the generated C of a cpu device's fused kernels) or tiles (a simulated device's tile program and modeled cost; needs --device sim:NAME).")
    var emit: Level = .schedule

    @Option(help: "The device to lower for; --emit tiles needs a simulated one (sim:NAME).")
    var device: String?

    func validate() throws {
        guard (file == nil) != (model == nil) else { throw ValidationError("give either a .kir FILE or --model NAME") }
        if emit == .tiles, device == nil { throw ValidationError("--emit tiles needs --device sim:NAME; \(Self.simulatedDeviceList)") }
    }

    /// The simulated devices, for messages.
    static var simulatedDeviceList: String {
        "simulated devices: " + Runtime.devices.filter { $0 is SimulatedDevice }.map(\.id.rawValue).joined(separator: ", ")
    }

    func run() throws {
        var simulated: SimulatedDevice?
        if emit == .tiles, let device {
            guard let found = try Runtime.device(device) as? SimulatedDevice else {
                throw ValidationError("--emit tiles lowers for simulated devices only, and \(device) is not one; \(Self.simulatedDeviceList)")
            }
            simulated = found
        }
        for graph in try graphs() {
            let optimized = try graph.optimized()
            switch emit {
            case .ir:
                print(optimized.text, terminator: "")
                print("// \(graph.instructions.count) ops before optimization, \(optimized.instructions.count) after")
            case .schedule:
                // The device's fusion options: what it can read and write through strides.
                let options = try device.map { try Runtime.device($0).fusionOptions } ?? Fusion.Options()
                let schedule = Fusion.schedule(optimized, options: options)
                print(schedule.text, terminator: "")
                let ratio = Double(schedule.kernels.count) / Double(max(optimized.instructions.count, 1))
                let unplanned = MemoryPlan.unplannedBytes(of: schedule)
                print("kernels: \(schedule.kernels.count) for \(optimized.instructions.count) optimized ops (\(percent(ratio)))")
                print("bytes moved: \(schedule.bytesMoved)")
                print("peak memory: \(schedule.peakBytes) bytes; all intermediates without reuse: \(unplanned) bytes (\(percent(Double(schedule.peakBytes) / Double(max(unplanned, 1)))))")
            case .code:
                let id = device ?? "cpu:0"
                guard let cpu = try Runtime.device(id) as? CPUDevice else {
                    throw ValidationError("--emit code shows the generated C of cpu devices; for \(id) it is not implemented yet")
                }
                let schedule = Fusion.schedule(optimized, options: cpu.fusionOptions)
                print(try CPUKernelCompiler(device: cpu.id).source(for: schedule), terminator: "")
            case .tiles:
                guard let simulated else { throw ValidationError("--emit tiles needs --device sim:NAME") }
                print(try simulated.tileProgram(for: Fusion.schedule(optimized)).text, terminator: "")
            }
        }
    }

    private func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

    private func graphs() throws -> [Graph] {
        if let model {
            guard let configuration = VDiTConfiguration.all.first(where: { $0.name == model }) else {
                throw ValidationError("unknown model '\(model)'; known models: \(VDiTConfiguration.all.map(\.name).joined(separator: ", "))")
            }
            return [try VDiTProgram(configuration: configuration).trainingStepGraph()]
        }
        let module = try KIRFile.load(file ?? "")
        guard let function else { return module.functions }
        guard let graph = module.function(named: function) else {
            throw ValidationError("no function @\(function); the file defines " + module.functions.map { "@" + $0.name }.joined(separator: ", "))
        }
        return [graph]
    }
}
