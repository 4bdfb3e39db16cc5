// A tiny model trained with acc, written as training code would be: a two-layer perceptron learns
// y = sin(3x) on [-1, 1]. The whole step (forward, gradients, AdamW) is traced once, compiled once for
// the device and replayed; parameters and optimizer state stay on the device between steps.
//
//     swift run --package-path Examples TinyTrainer [DEVICE]      (default cpu:0)
import Foundation
import Runtime

/// The model: a layer whose parameter paths (`hidden.weight`, ...) are its safetensors keys.
struct Perceptron: UnaryLayer {
    var hidden: Linear
    var output: Linear

    init(width: Int, seed: Int, on device: any Device) throws(RuntimeError) {
        hidden = try Linear(1, width, initializer: .normal(standardDeviation: 1), seed: seed, on: device)
        output = try Linear(width, 1, initializer: .normal(standardDeviation: 0.2), seed: seed + 1, on: device)
    }

    mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try hidden.visitParameters(under: "hidden", visit)
        try output.visitParameters(under: "output", visit)
    }

    func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor { try output(hidden(x).tanh()) }
}

let device = try Runtime.device(CommandLine.arguments.dropFirst().first ?? "cpu:0")
let x = try Tensor((0..<64).map { -1 + 2 * Double($0) / 63 }, shape: [64, 1], on: device)
let y = try (x * 3).sin()

let step = try TrainingStep(model: Perceptron(width: 32, seed: 0, on: device), optimizer: AdamW(learningRate: 1e-2)) {
    model, batch throws(RuntimeError) in try Tensor.mseLoss(model(batch[0]), batch[1])
}
var losses: [Double] = []
for iteration in 1...300 {
    let result = try step([x, y])                  // one launch; nothing comes back unless read
    if iteration == 1 || iteration % 50 == 0 {
        losses.append(try result.loss.item)
        print("step \(iteration)  loss \(String(format: "%.5f", losses[losses.count - 1]))")
    }
}

// The trained weights, in a safetensors file PyTorch reads too.
let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-trainer.safetensors")
try step.model.save(to: url)
print("weights written to \(url.path)")

guard let first = losses.first, let last = losses.last, last < first / 10 else {
    print("error: the loss did not fall tenfold: \(losses)")
    exit(1)
}
