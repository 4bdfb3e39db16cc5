import ArgumentParser
import Foundation
import KernelIR
import Models
import Runtime

/// `acctl train`: train a VDiT configuration on a device, with checkpoints, resume, Ctrl-C that saves,
/// sample GIFs, and an exact-comparison mode on one fixed batch (`--init`, `--data`).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a VDiT model on a device (bouncing-shapes data, rectified flow, AdamW).",
        discussion: """
            Prints a progress line per --log-every steps (step, loss, step time, samples/s) on standard error.
            --steps is the total: with --resume, training continues from the checkpoint's step up to it.
            Ctrl-C finishes the current step, saves a checkpoint (with --checkpoint) and exits with status 130.
            With --init WEIGHTS.safetensors --data BATCH.safetensors it trains repeatedly on that one batch
            (the formats of shared/fixtures/vdit-test), for exact comparisons with other frameworks.
            """
    )

    @Option(help: "The model: \(VDiTConfiguration.all.map(\.name).joined(separator: ", ")).")
    var model = "vdit-s"

    @Option(help: "The device to train on, e.g. cpu:0 (see `acctl devices`).")
    var device = "cpu:0"

    @Option(help: "Train until this many steps are done in total.")
    var steps = 100

    @Option(help: "Clips per batch (default: the model's).")
    var batchSize: Int?

    @Option(help: "AdamW learning rate.")
    var lr = 1e-3

    @Option(help: "AdamW decoupled weight decay.")
    var weightDecay = 0.0

    @Option(help: "Seed of the initial weights and the data stream.")
    var seed: UInt64 = 0

    @Option(help: "A directory for the checkpoint (checkpoint.safetensors), saved at the end, on Ctrl-C and every --checkpoint-every steps.")
    var checkpoint: String?

    @Option(help: "Also save the checkpoint every this many steps (0: only at the end and on Ctrl-C).")
    var checkpointEvery = 0

    @Flag(help: "Continue from the checkpoint in --checkpoint: weights, AdamW state, step and data stream.")
    var resume = false

    @Option(help: "A directory for sample GIFs (and one of training clips, MODEL-data.gif), written at the end of training.")
    var samples: String?

    @Option(help: "Euler steps per sample.")
    var sampleSteps = 20

    @Option(name: .customLong("init"), help: "Initial weights (safetensors with vdit.md's keys) instead of a fresh initialisation.")
    var initialWeights: String?

    @Option(help: "Train on this one batch (safetensors with x0, eps, t) at every step instead of generated data.")
    var data: String?

    @Option(help: "Print a progress line every this many steps.")
    var logEvery = 10

    @Flag(help: "Print {\"losses\": [...]} (the loss at the start of each step) on standard output.")
    var json = false

    /// For crash-safety tests: on the Nth checkpoint save, kill this process (SIGKILL) once the new file is
    /// written and flushed but before it replaces the old one.
    @Option(help: .hidden)
    var testKillDuringSave: Int?

    func validate() throws {
        guard steps >= 0 else { throw ValidationError("--steps must be at least 0") }
        guard logEvery >= 1, checkpointEvery >= 0, sampleSteps >= 1 else {
            throw ValidationError("--log-every and --sample-steps must be at least 1, --checkpoint-every at least 0")
        }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if resume, checkpoint == nil { throw ValidationError("--resume needs --checkpoint DIR, the directory of the run to continue") }
        if resume, initialWeights != nil { throw ValidationError("give either --resume or --init, not both") }
    }

    /// The configuration `--model` names, with `--batch-size` applied.
    /// - Throws: `ValidationError` listing the known models.
    func modelConfiguration() throws -> VDiTConfiguration {
        guard var configuration = VDiTConfiguration.all.first(where: { $0.name == model }) else {
            throw ValidationError("unknown model '\(model)'; known models: \(VDiTConfiguration.all.map(\.name).joined(separator: ", "))")
        }
        if let batchSize { configuration.batchSize = batchSize }
        return configuration
    }

    func run() throws {
        let report = try TrainingRun(command: self).train()
        if json {
            let document = LossesDocument(firstStep: report.firstStep, losses: report.losses)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        }
        if report.wasInterrupted { throw ExitCode(130) }
    }
}

/// What `--json` prints.
struct LossesDocument: Codable {
    /// The step the first loss belongs to (1 unless resumed).
    var firstStep: Int
    /// The loss at the start of each step taken.
    var losses: [Double]

    enum CodingKeys: String, CodingKey {
        case firstStep = "first_step", losses
    }
}
