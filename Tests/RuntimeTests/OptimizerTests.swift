import Foundation
import Testing
@testable import Runtime

/// One parameter, trained on `loss = sum(w * c)`, whose gradient is `c` every step: updates can be computed by hand.
struct Scalars: Layer {
    var w: Tensor
    mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) { try visit("w", &w) }
}

func linearLoss(_ model: Scalars, _ batch: [Tensor]) throws(RuntimeError) -> Tensor { try (model.w * batch[0]).sum() }

@Test func adamWMatchesHandComputedSteps() throws {
    let device = try testDevice()
    let start: [Double] = [1, -2]
    let gradient: [Double] = [0.5, -3]
    let step = try TrainingStep(model: Scalars(w: Tensor(start, shape: [2], on: device)),
                                optimizer: AdamW(learningRate: 0.1, weightDecay: 0.01), loss: linearLoss)
    let batch = [try Tensor(gradient, shape: [2], on: device)]
    var (w, m, v) = (start, [0.0, 0.0], [0.0, 0.0])
    for t in 1...3 {
        try step(batch)
        for i in 0..<2 {
            m[i] = 0.9 * m[i] + 0.1 * gradient[i]
            v[i] = 0.999 * v[i] + 0.001 * gradient[i] * gradient[i]
            let mHat = m[i] / (1 - Foundation.pow(0.9, Double(t))), vHat = v[i] / (1 - Foundation.pow(0.999, Double(t)))
            w[i] = w[i] - 0.1 * 0.01 * w[i] - 0.1 * mHat / (vHat.squareRoot() + 1e-8)
        }
        expectClose(try step.model.w.scalars, w, tolerance: 1e-5)
        expectClose(try step.optimizerState.slots[0][0].scalars, m, tolerance: 1e-5)
        expectClose(try step.optimizerState.slots[0][1].scalars, v, tolerance: 1e-5)
    }
    #expect(try step.optimizerState.step.item == 3)
}

@Test func sgdWithMomentumMatchesHandComputedSteps() throws {
    let device = try testDevice()
    let gradient: [Double] = [1, -2]
    for nesterov in [false, true] {
        let step = try TrainingStep(model: Scalars(w: Tensor([0, 0], shape: [2], on: device)),
                                    optimizer: SGD(learningRate: 0.5, momentum: 0.9, nesterov: nesterov, weightDecay: 0.1), loss: linearLoss)
        var (w, buffer) = ([0.0, 0.0], [0.0, 0.0])
        for _ in 0..<3 {
            try step([Tensor(gradient, shape: [2], on: device)])
            for i in 0..<2 {
                let g = gradient[i] + 0.1 * w[i]
                buffer[i] = 0.9 * buffer[i] + g
                w[i] -= 0.5 * (nesterov ? g + 0.9 * buffer[i] : buffer[i])
            }
            expectClose(try step.model.w.scalars, w, tolerance: 1e-5)
        }
    }
}

@Test func warmupCosineScheduleRunsOnTheDeviceAsOnTheHost() throws {
    let device = try testDevice()
    let schedule = try WarmupCosineSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110, minimum: 1e-5)
    let steps: [Double] = [1, 5, 10, 11, 60, 110, 200]
    let onDevice = try schedule.learningRate(at: Tensor(steps, shape: [7], on: device)).scalars
    let onHost = steps.map { schedule.learningRate(at: Int($0)) }
    expectClose(onDevice, onHost, tolerance: 1e-5)
    expectClose([onHost[0], onHost[2], onHost[4], onHost[5]], [1e-4, 1e-3, 1e-5 + (1e-3 - 1e-5) * 0.5, 1e-5], tolerance: 1e-9)
    #expect(throws: RuntimeError.self) { try WarmupCosineSchedule(peak: 1, warmupSteps: 10, totalSteps: 10) }

    let training = try TrainingStep(model: Scalars(w: Tensor([0], shape: [1], on: device)),
                                    optimizer: SGD(schedule: schedule), loss: linearLoss)
    var rates: [Double] = []
    for _ in 0..<3 { rates.append(try training([Tensor([1], shape: [1], on: device)]).learningRate.item) }
    expectClose(rates, [1e-4, 2e-4, 3e-4])
    expectClose(try training.model.w.scalars, [-6e-4])
}

@Test func clippingScalesGradientsToTheMaximumGlobalNorm() throws {
    let device = try testDevice()
    let gradients = [try Tensor([3, 0], shape: [2], on: device), try Tensor([4], shape: [1], on: device)]
    let (clipped, norm) = try Tensor.clippedByGlobalNorm(gradients, maximumNorm: 1)
    #expect(Swift.abs(try norm.item - 5) < 1e-6)
    expectClose(try clipped[0].scalars + clipped[1].scalars, [0.6, 0, 0.8], tolerance: 1e-5)
    let (unchanged, _) = try Tensor.clippedByGlobalNorm(gradients, maximumNorm: 10)
    expectClose(try unchanged[1].scalars, [4], tolerance: 1e-5)

    let step = try TrainingStep(model: Scalars(w: Tensor([0, 0], shape: [2], on: device)), optimizer: SGD(learningRate: 1),
                                options: TrainingOptions(maximumGradientNorm: 0.5), loss: linearLoss)
    let result = try step([Tensor([3, 4], shape: [2], on: device)])
    #expect(Swift.abs(try result.gradientNorm.item - 5) < 1e-5)
    expectClose(try step.model.w.scalars, [-0.3, -0.4], tolerance: 1e-5)
}

@Test func bf16ComputeKeepsF32MasterWeightsAndLearns() throws {
    let device = try testDevice()
    let mlp = try TinyMLP(seed: 3, on: device)
    let inputs = try Tensor.normal([16, 4], seed: 11, on: device).evaluate()
    let targets = try Tensor.normal([16, 2], seed: 12, on: device).evaluate()
    let step = try TrainingStep(model: mlp, optimizer: AdamW(learningRate: 1e-2), options: TrainingOptions(computeDType: .bf16)) {
        model, batch throws(RuntimeError) in
        #expect(model.fc1.weight.dtype == .bf16)
        return try Tensor.mseLoss(model(batch[0].asType(.bf16)).asType(.f32), batch[1])
    }
    var losses: [Double] = []
    for _ in 0..<20 { losses.append(try step([inputs, targets]).loss.item) }
    #expect(step.model.fc1.weight.dtype == .f32)
    #expect(losses[19] < 0.7 * losses[0], "\(losses)")
}

@Test func f16LossScalingSkipsOverflowingStepsAndReportsThem() throws {
    let device = try testDevice()
    let start: [Double] = [1, -1]
    // A scale of 2^40 overflows f16 (largest finite 65504) until backed off to 2^15, below which 4 * scale fits.
    let options = TrainingOptions(computeDType: .f16, lossScaling: DynamicLossScaling(initialScale: 0x1p40, growthInterval: 3))
    let step = try TrainingStep(model: Scalars(w: Tensor(start, shape: [2], on: device)), optimizer: SGD(learningRate: 0.1),
                                options: options, loss: linearLoss)
    let batch = [try Tensor([2, 2], shape: [2], dtype: .f16, on: device)]
    let first = try step(batch)
    #expect(try first.skippedSteps.item == 1)
    #expect(try step.lossScale.item == 0x1p39)
    expectClose(try step.model.w.scalars, start)
    #expect(try step.optimizerState.step.item == 0)
    // Scales 2^40 down to 2^15 overflow (the gradient is 2 * scale); 2^14 is the first that fits.
    for _ in 0..<40 where try step.optimizerState.step.item == 0 { try step(batch) }
    #expect(try step.skippedSteps.item == 26)
    #expect(try step.lossScale.item == 0x1p14)
    #expect(try step.optimizerState.step.item == 1)
    expectClose(try step.model.w.scalars, [1 - 0.2, -1 - 0.2], tolerance: 1e-3)
}

@Test func trainingStepTracesOnceAndStaysOnTheDeviceForTenSteps() throws {
    let device = try testDevice()
    let step = try TrainingStep(model: TinyMLP(seed: 4, on: device), optimizer: AdamW(learningRate: 1e-2),
                                options: TrainingOptions(maximumGradientNorm: 1)) { model, batch throws(RuntimeError) in
        try Tensor.mseLoss(model(batch[0]), batch[1])
    }
    let batch = [try Tensor.normal([8, 4], seed: 1, on: device).evaluate(), try Tensor.normal([8, 2], seed: 2, on: device).evaluate()]
    var results: [TrainingStepResult] = []
    let ((), counters) = try RuntimeCounters.counting { () throws(RuntimeError) in
        for _ in 0..<10 { results.append(try step(batch)) }
    }
    // The first call traces and compiles the step and evaluates the initial parameters and state (one more graph).
    #expect(counters.traces == 1, "\(counters)")
    #expect(counters.compileRequests == 2, "\(counters)")
    #expect(counters.launches == 11, "\(counters)")
    #expect(counters.hostToDeviceTransfers == 0 && counters.deviceToHostTransfers == 0, "\(counters)")
    let losses = try results.map { (result: TrainingStepResult) throws(RuntimeError) -> Double in try result.loss.item }
    #expect(losses[9] < losses[0], "\(losses)")
}

@Test func restoredTrainingStateContinuesIdentically() throws {
    let device = try testDevice()
    func makeStep() throws -> TrainingStep<TinyMLP> {
        try TrainingStep(model: TinyMLP(seed: 5, on: device), optimizer: AdamW(learningRate: 1e-2),
                         options: TrainingOptions(lossScaling: DynamicLossScaling(initialScale: 8))) { model, batch throws(RuntimeError) in
            try Tensor.mseLoss(model(batch[0]), batch[1])
        }
    }
    let batch = [try Tensor.normal([8, 4], seed: 1, on: device).evaluate(), try Tensor.normal([8, 2], seed: 2, on: device).evaluate()]
    let original = try makeStep()
    for _ in 0..<3 { try original(batch) }
    // Through the host, as a checkpoint file would go.
    var saved: [String: Tensor] = [:]
    for (key, tensor) in original.stateTensors { saved[key] = try Tensor(tensor.array, on: device) }
    #expect(saved.keys.contains("optimizer.m.fc1.weight") && saved.keys.contains("optimizer.step") && saved.keys.contains("fc2.bias"))
    let resumed = try makeStep()
    try resumed.restore(stateTensors: saved)
    for _ in 0..<3 {
        let a = try original(batch).loss.item, b = try resumed(batch).loss.item
        #expect(a == b)
    }
    #expect(try original.model.fc1.weight.scalars == resumed.model.fc1.weight.scalars)
    saved["optimizer.v.fc1.bias"] = Tensor.zeros([9], on: device)
    let error = #expect(throws: RuntimeError.self) { try resumed.restore(stateTensors: saved) }
    #expect(error?.description == "parameter 'optimizer.v.fc1.bias': expected f32[8], got f32[9]")
}

@Test func lossScaleGrowsAfterEnoughFiniteSteps() throws {
    let device = try testDevice()
    let options = TrainingOptions(lossScaling: DynamicLossScaling(initialScale: 4, growthInterval: 2))
    let step = try TrainingStep(model: Scalars(w: Tensor([1], shape: [1], on: device)), optimizer: SGD(learningRate: 0.5),
                                options: options, loss: linearLoss)
    var scales: [Double] = []
    for _ in 0..<5 {
        try step([Tensor([1], shape: [1], on: device)])
        scales.append(try step.lossScale.item)
    }
    #expect(scales == [4, 8, 8, 16, 16])
    #expect(try step.skippedSteps.item == 0)
    // Unscaled gradients: five steps of -0.5 * 1.
    expectClose(try step.model.w.scalars, [1 - 2.5])
}
