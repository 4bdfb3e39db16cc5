// A tiny model trained with acc, written as training code would be: a two-layer perceptron learns
// y = sin(3x) on [-1, 1]. The whole step (loss, gradients, SGD with momentum) is traced once, compiled
// once for the device, and replayed; parameters stay on the device between steps.
//
//     swift run --package-path Examples TinyTrainer [DEVICE]      (default cpu:0)
import Foundation
import Runtime

let device = try Runtime.device(CommandLine.arguments.dropFirst().first ?? "cpu:0")
let x = try Tensor((0..<64).map { -1 + 2 * Double($0) / 63 }, shape: [64, 1], on: device)
let y = try (x * 3).sin()

let names = ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
var parameters = [
    try Tensor.normal([1, 32], seed: 1, on: device), Tensor.zeros([32], on: device),
    try Tensor.normal([32, 1], seed: 2, on: device) * 0.2, Tensor.zeros([1], on: device),
]
var velocities = parameters.map(Tensor.zeros(like:))

func loss(_ p: [Tensor], _ x: Tensor, _ y: Tensor) throws(RuntimeError) -> Tensor {
    let hidden = try x.linear(weight: p[0], bias: p[1]).tanh()
    return try Tensor.mseLoss(hidden.linear(weight: p[2], bias: p[3]), y)
}

let step = device.compile { (inputs: [Tensor]) throws(RuntimeError) -> [Tensor] in
    let p = Array(inputs[0..<4]), v = Array(inputs[4..<8])
    let value = try loss(p, inputs[8], inputs[9])
    let gradients = try grad(value, wrt: p)
    var updatedVelocities: [Tensor] = [], updated: [Tensor] = []
    for i in 0..<4 {
        let velocity = try v[i] * 0.9 + gradients[i]
        updatedVelocities.append(velocity)
        updated.append(try p[i] - velocity * 0.05)
    }
    return [value] + updated + updatedVelocities
}

var losses: [Double] = []
for iteration in 1...300 {
    let outputs = try step(parameters + velocities + [x, y])
    parameters = Array(outputs[1...4])
    velocities = Array(outputs[5...8])
    if iteration == 1 || iteration % 50 == 0 {
        losses.append(try outputs[0].item)
        print("step \(iteration)  loss \(String(format: "%.5f", losses[losses.count - 1]))")
    }
}

// Parameters and momenta go into a checkpoint that PyTorch's safetensors reads too.
var weights: [String: TensorValue] = [:], momenta: [String: TensorValue] = [:]
for (name, index) in zip(names, 0...) {
    weights[name] = try parameters[index].array
    momenta["momentum." + name] = try velocities[index].array
}
let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-trainer/checkpoint.safetensors")
try Checkpoint(parameters: weights, optimizerState: momenta, optimizerSlots: ["momentum"], step: 300).write(to: url)
print("checkpoint written to \(url.path)")

guard let first = losses.first, let last = losses.last, last < first / 10 else {
    print("error: the loss did not fall tenfold: \(losses)")
    exit(1)
}
