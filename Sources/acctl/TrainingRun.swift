import Backends
import Foundation
import KernelIR
import Models
import Runtime

/// One `acctl train` invocation: sets up the trainer from flags, runs the loop, saves and samples.
struct TrainingRun {
    /// What a run did.
    struct Report {
        var firstStep: Int
        var losses: [Double]
        var wasInterrupted: Bool
    }

    let command: TrainCommand

    /// Trains as the flags say and reports the losses.
    /// - Throws: `ValidationError` for an unknown model, ``RuntimeError`` for an unknown device (listing the
    ///   known ones), ``TrainingError`` for mismatched weights, checkpoints or batches.
    func train() throws -> Report {
        let configuration = try command.modelConfiguration()
        let device = try Runtime.device(command.device)
        let fixedBatch = try command.data.map { path -> TrainingBatch in
            let file: SafetensorsFile
            do throws(SafetensorsError) { file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw TrainingError.batchFile(error)
            }
            let batch = try TrainingBatch(file)
            try batch.validate(for: configuration)
            return batch
        }
        let checkpointURL = command.checkpoint.map { Checkpoint.url(in: URL(fileURLWithPath: $0, isDirectory: true)) }
        var start: Checkpoint?
        if command.resume, let checkpointURL {
            do { start = try Checkpoint(contentsOf: checkpointURL) } catch { throw TrainingError.checkpoint(error) }
        } else if let path = command.initialWeights {
            do {
                start = try Checkpoint(SafetensorsFile(contentsOf: URL(fileURLWithPath: path)))
            } catch let error as SafetensorsError {
                throw TrainingError.checkpoint(.file(error))
            } catch let error as CheckpointError {
                throw TrainingError.checkpoint(error)
            }
        }
        let trainer: VDiTTrainer
        if let start {
            trainer = try VDiTTrainer(configuration: configuration, device: device, checkpoint: start,
                                      learningRate: command.lr, weightDecay: command.weightDecay)
        } else {
            let model = try VDiT(configuration: configuration, on: device, seed: Int(command.seed & UInt64(Int.max)))
            trainer = try VDiTTrainer(model: model, learningRate: command.lr, weightDecay: command.weightDecay)
        }
        // A resumed run keeps the data stream it was started with, so it draws what an uninterrupted run would.
        let seed = command.resume ? (start?.random.seed ?? command.seed) : command.seed
        let loader = fixedBatch == nil
            ? BatchLoader(RectifiedFlowBatches(configuration: configuration, seed: seed), startingAt: trainer.completedSteps)
            : nil
        var saves = 0
        func save() throws {
            guard let checkpointURL else { return }
            saves += 1
            let kill = command.testKillDuringSave == saves
            let state = try trainer.checkpoint(random: RandomState(seed: seed, counter: trainer.completedSteps),
                                               metadata: ["lr": String(command.lr), "weight_decay": String(command.weightDecay)])
            try state.write(to: checkpointURL) { if kill { Foundation.kill(getpid(), SIGKILL) } }
        }

        let interrupt = InterruptFlag()
        let firstStep = trainer.completedSteps + 1
        var losses: [Double] = [], times: [Double] = []
        var wasInterrupted = false
        log("training \(configuration.name) (batch \(configuration.batchSize)) on \(device.id) from step \(firstStep) to \(command.steps)")
        while trainer.completedSteps < command.steps {
            if interrupt.isRaised {
                wasInterrupted = true
                break
            }
            let batch = fixedBatch ?? loader?.next()
            guard let batch else { break }
            let started = ContinuousClock.now
            let loss = try trainer.step(batch)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            losses.append(loss)
            times.append(seconds)
            let step = trainer.completedSteps
            if step == firstStep || step % command.logEvery == 0 || step == command.steps {
                log(String(format: "step %d/%d  loss %.6f  %.1f ms/step  %.1f samples/s", step, command.steps, loss,
                           seconds * 1000, Double(configuration.batchSize) / seconds))
            }
            if command.checkpointEvery > 0, step % command.checkpointEvery == 0, step < command.steps { try save() }
        }
        try save()
        if let checkpointURL { log("checkpoint at step \(trainer.completedSteps) saved to \(checkpointURL.path)") }
        if wasInterrupted {
            log("interrupted after step \(trainer.completedSteps)" + (checkpointURL == nil ? "; no --checkpoint, nothing saved" : ""))
            return Report(firstStep: firstStep, losses: losses, wasInterrupted: true)
        }
        summarize(losses: losses, times: times, configuration: configuration)
        if let directory = command.samples {
            let clips = try EulerSampler(steps: command.sampleSteps).sample(trainer.model, seed: seed)
            let url = URL(fileURLWithPath: directory, isDirectory: true)
                .appendingPathComponent("\(configuration.name)-step\(trainer.completedSteps).gif")
            try AnimatedGIF(clips: clips).write(to: url)
            log("samples (\(command.sampleSteps) Euler steps) written to \(url.path)")
            // The training clips beside them, for comparison.
            let data = fixedBatch ?? RectifiedFlowBatches(configuration: configuration, seed: seed).batch(at: 0)
            let dataURL = url.deletingLastPathComponent().appendingPathComponent("\(configuration.name)-data.gif")
            try AnimatedGIF(clips: data.x0).write(to: dataURL)
        }
        return Report(firstStep: firstStep, losses: losses, wasInterrupted: false)
    }

    /// The run in one line: loss at the start and end (means of up to 10 steps), median step time, throughput.
    private func summarize(losses: [Double], times: [Double], configuration: VDiTConfiguration) {
        guard !losses.isEmpty else { return }
        let window = max(1, min(10, losses.count / 4))
        let first = losses.prefix(window).reduce(0, +) / Double(window)
        let last = losses.suffix(window).reduce(0, +) / Double(window)
        // The first step compiles nothing but warms caches; leave it out of the median when there are others.
        let timed = (times.count > 1 ? Array(times.dropFirst()) : times).sorted()
        let median = timed[timed.count / 2]
        let flops = Double(3 * configuration.forwardFLOPs)
        log(String(format: "loss %.4f -> %.4f (mean of first and last %d steps, %.1f%% of the start); median step %.1f ms, "
                   + "%.1f samples/s, %.1f GFLOP/s", first, last, window, 100 * last / first, median * 1000,
                   Double(configuration.batchSize) / median, flops / median / 1e9))
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
