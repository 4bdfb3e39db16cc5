import ArgumentParser
import Foundation
import KernelIR
import Models

/// `acctl compile`: show a program after optimization (`--emit ir`) or after fusion and memory
/// planning (`--emit schedule`), with the figures that say how well each step did.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Optimize a .kir function (or a model's training step) and print its IR or kernel schedule.",
        discussion: "Give a .kir FILE, or --model NAME for that VDiT configuration's whole training step (loss, gradients, AdamW)."
    )

    /// The program levels `--emit` can show.
    enum Level: String, ExpressibleByArgument, CaseIterable {
        case ir, schedule
    }

    @Argument(help: "The .kir file to compile.")
    var file: String?

    @Option(help: "The function to compile (default: every function of the file).")
    var function: String?

    @Option(help: "Compile this model's training step instead of a file: \(VDiTConfiguration.all.map(\.name).joined(separator: ", ")).")
    var model: String?

    @Option(help: "What to print: ir (the optimized graph) or schedule (kernels, buffers, bytes, FLOPs).")
    var emit: Level = .schedule

    func validate() throws {
        guard (file == nil) != (model == nil) else { throw ValidationError("give either a .kir FILE or --model NAME") }
    }

    func run() throws {
        for graph in try graphs() {
            let optimized = try graph.optimized()
            switch emit {
            case .ir:
                print(optimized.text, terminator: "")
                print("// \(graph.instructions.count) ops before optimization, \(optimized.instructions.count) after")
            case .schedule:
                let schedule = Fusion.schedule(optimized)
                print(schedule.text, terminator: "")
                let ratio = Double(schedule.kernels.count) / Double(max(optimized.instructions.count, 1))
                let unplanned = MemoryPlan.unplannedBytes(of: schedule)
                print("kernels: \(schedule.kernels.count) for \(optimized.instructions.count) optimized ops (\(percent(ratio)))")
                print("bytes moved: \(schedule.bytesMoved)")
                print("peak memory: \(schedule.peakBytes) bytes; all intermediates without reuse: \(unplanned) bytes (\(percent(Double(schedule.peakBytes) / Double(max(unplanned, 1)))))")
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
