import Foundation
import Testing
@testable import Runtime

/// A two-layer MLP, written the way a user writes a layer.
struct TinyMLP: UnaryLayer {
    var fc1: Linear
    var norm: LayerNorm
    var fc2: Linear

    init(seed: Int, on device: any Device) throws(RuntimeError) {
        fc1 = try Linear(4, 8, seed: ParameterSeed.derive(seed, path: "fc1"), on: device)
        norm = LayerNorm(width: 8, affine: true, on: device)
        fc2 = try Linear(8, 2, seed: ParameterSeed.derive(seed, path: "fc2"), on: device)
    }

    mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try fc1.visitParameters(under: "fc1", visit)
        try norm.visitParameters(under: "norm", visit)
        try fc2.visitParameters(under: "fc2", visit)
    }

    func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor { try fc2(norm(fc1(x).geluTanh())) }
}

@Test func layerParametersAreNamedByPath() throws {
    let device = try testDevice()
    let mlp = try TinyMLP(seed: 0, on: device)
    #expect(mlp.namedParameters.map(\.path) == ["fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "fc2.weight", "fc2.bias"])
    #expect(mlp.parameterCount == 4 * 8 + 8 + 8 + 8 + 8 * 2 + 2)
    let attention = try MultiHeadAttention(width: 8, heads: 2, seed: 1, on: device)
    #expect(attention.namedParameters.map(\.path) == ["qkv.weight", "qkv.bias", "proj.weight", "proj.bias"])
    #expect(attention.parameters["qkv.weight"]?.shape == [8, 24])
    let embedding = try TimestepEmbedding(width: 16, seed: 2, on: device)
    #expect(embedding.namedParameters.map { "\($0.path) \($0.tensor.shape)" }
            == ["fc1.weight [64, 16]", "fc1.bias [16]", "fc2.weight [16, 16]", "fc2.bias [16]"])
    let convolution = try Conv3d(3, 8, kernel: (1, 3, 3), padding: (0, 1, 1), seed: 3, on: device)
    #expect(convolution.namedParameters.map { "\($0.path) \($0.tensor.shape)" } == ["weight [1, 3, 3, 3, 8]", "bias [8]"])
    #expect(LayerNorm(width: 8, on: device).namedParameters.isEmpty)
}

@Test func layersComputeTheirDefinitions() throws {
    let device = try testDevice()
    let linear = Linear(weight: try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: device), bias: try Tensor([1, 0, -1], shape: [3], on: device))
    expectClose(try linear(Tensor([1, 1], shape: [1, 2], on: device)).scalars, [6, 7, 8])
    let convolution = try Conv3d(2, 1, kernel: (1, 1, 1), initializer: .ones, seed: 0, on: device)
    let clip = try Tensor([1, 2, 3, 4], shape: [1, 1, 1, 2, 2], on: device)
    expectClose(try convolution(clip).scalars, [1 + 2 + 1, 3 + 4 + 1])
    let attention = try MultiHeadAttention(width: 4, heads: 2, seed: 0, on: device)
    let tokens = try Tensor.normal([2, 3, 4], seed: 5, on: device)
    #expect(try attention(tokens).shape == [2, 3, 4])
    let time = try Tensor([0.25, 0.5], shape: [2], on: device)
    #expect(try TimestepEmbedding(width: 8, seed: 0, on: device)(time).shape == [2, 8])
}

@Test func seededInitialisersAreReproducible() throws {
    let device = try testDevice()
    let a = try TinyMLP(seed: 7, on: device), b = try TinyMLP(seed: 7, on: device), c = try TinyMLP(seed: 8, on: device)
    let weights = try a.fc1.weight.scalars
    #expect(try weights == b.fc1.weight.scalars)
    #expect(try weights != c.fc1.weight.scalars)
    #expect(try weights != a.fc2.weight.sliced(start: [0, 0], limit: [4, 2]).scalars)
    let deviation = (weights.map { $0 * $0 }.reduce(0, +) / Double(weights.count)).squareRoot()
    #expect(deviation > 0.01 && deviation < 0.03, "standard deviation \(deviation), expected about 0.02")
    #expect(try a.fc1.bias?.scalars == Array(repeating: 0, count: 8))
}

@Test func parametersSaveAndLoadAsSafetensors() throws {
    let device = try testDevice()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-layer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("mlp.safetensors")
    let original = try TinyMLP(seed: 1, on: device)
    try original.save(to: url)
    var restored = try TinyMLP(seed: 2, on: device)
    try restored.load(from: url)
    for ((path, a), (_, b)) in zip(original.namedParameters, restored.namedParameters) {
        #expect(try a.scalars == b.scalars, "\(path)")
    }
    let file = try SafetensorsFile(contentsOf: url)
    #expect(file.tensors.keys.sorted() == original.namedParameters.map(\.path).sorted())
}

@Test func mismatchedParametersNameTheKey() throws {
    let device = try testDevice()
    var mlp = try TinyMLP(seed: 0, on: device)
    var file = try mlp.safetensors()
    file.tensors["fc2.weight"] = TensorValue(repeating: 0, TensorType(.f32, [8, 3]))
    var error = #expect(throws: RuntimeError.self) { try mlp.load(file) }
    #expect(error?.description == "parameter 'fc2.weight': expected f32[8, 2], the file has f32[8, 3]")

    file = try mlp.safetensors()
    file.tensors["model.fc1.bias"] = file.tensors.removeValue(forKey: "fc1.bias")
    error = #expect(throws: RuntimeError.self) { try mlp.load(file) }
    #expect(error?.description == "parameter 'fc1.bias': missing from the file, which should hold it as f32[8]; the file has model.fc1.bias")

    file = try mlp.safetensors()
    file.tensors["fc3.weight"] = TensorValue(repeating: 0, TensorType(.f32, [2]))
    error = #expect(throws: RuntimeError.self) { try mlp.load(file) }
    #expect(error?.description == "parameter 'fc3.weight': unexpected in the file: the layer has no parameter with this path")

    error = #expect(throws: RuntimeError.self) { try mlp.update(parameters: ["fc1.weight": Tensor.zeros([4, 8], on: device)]) }
    #expect(error?.description == "parameter 'fc1.bias': missing; the layer needs it as f32[8]")
}
