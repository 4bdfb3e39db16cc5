import Foundation
import Testing
@testable import KernelIR
@testable import Runtime

private let weight = Parameter(name: "layer.weight", type: TensorType(.f32, [2, 3]))
private let bias = Parameter(name: "layer.bias", type: TensorType(.f32, [3]))

private func tensor(_ type: TensorType, from start: Double) -> TensorValue {
    TensorValue(converting: (0..<type.elementCount).map { start + 0.25 * Double($0) }, to: type)
}

private func sampleCheckpoint(step: Int = 7) -> Checkpoint {
    Checkpoint(parameters: ["layer.weight": tensor(weight.type, from: 1), "layer.bias": tensor(bias.type, from: -1)],
               optimizerState: ["m.layer.weight": tensor(weight.type, from: 0.5), "m.layer.bias": tensor(bias.type, from: 0.1),
                                "v.layer.weight": tensor(weight.type, from: 2), "v.layer.bias": tensor(bias.type, from: 3)],
               optimizerSlots: ["m", "v"], step: step, random: RandomState(seed: 42, counter: step),
               metadata: ["model": "tiny"])
}

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acc-checkpoint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func checkpointRoundTripsThroughAFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = Checkpoint.url(in: directory.appendingPathComponent("run"))
    let checkpoint = sampleCheckpoint()
    try checkpoint.write(to: url)
    let loaded = try Checkpoint(contentsOf: url)
    #expect(loaded == checkpoint)
    try loaded.validate(against: [weight, bias], optimizerSlots: ["m", "v"])
}

@Test func checkpointFileUsesPlainKeysAndMetadataStrings() throws {
    let file = sampleCheckpoint(step: 3).file
    #expect(Set(file.tensors.keys) == ["layer.weight", "layer.bias", "m.layer.weight", "m.layer.bias",
                                       "v.layer.weight", "v.layer.bias"])
    #expect(file.metadata == ["acc.format": "checkpoint-1", "acc.step": "3", "acc.rng.seed": "42", "acc.rng.counter": "3",
                              "acc.optimizer.slots": "m,v", "model": "tiny"])
    // The header is the JSON PyTorch's `safetensors.torch.load_file` reads: 8-byte length, then an object
    // whose entries are {"dtype": "F32", "shape", "data_offsets"} and `__metadata__` maps strings to strings.
    let bytes = try file.serialized()
    let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
    let entry = try #require(header["layer.weight"] as? [String: Any])
    #expect(entry["dtype"] as? String == "F32")
    #expect(entry["shape"] as? [Int] == [2, 3])
    #expect((header["__metadata__"] as? [String: String])?["acc.step"] == "3")
}

@Test func aParametersOnlyFileReadsAsAFreshStart() throws {
    // What PyTorch writes with `save_file(model.state_dict())`: tensors, no acc metadata.
    let file = SafetensorsFile(tensors: ["layer.weight": tensor(weight.type, from: 1), "layer.bias": tensor(bias.type, from: 0)])
    let checkpoint = try Checkpoint(SafetensorsFile(bytes: file.serialized()))
    #expect(checkpoint.step == 0)
    #expect(checkpoint.optimizerState.isEmpty)
    #expect(checkpoint.parameters.count == 2)
    try checkpoint.validate(against: [weight, bias], optimizerSlots: ["m", "v"])
}

/// A checkpoint that does not fit the model, and the message that names its key.
struct MismatchCase: CustomTestStringConvertible, Sendable {
    let label: String
    let change: @Sendable (inout Checkpoint) -> Void
    let error: CheckpointError
    let message: String
    var testDescription: String { label }

    static let all: [MismatchCase] = [
        MismatchCase(label: "missing parameter", change: { $0.parameters["layer.bias"] = nil }, error: .missingTensor("layer.bias"),
                     message: "the checkpoint has no tensor 'layer.bias', which the model needs; it was saved from a different model or configuration"),
        MismatchCase(label: "unexpected parameter", change: { $0.parameters["layer2.bias"] = tensor(bias.type, from: 0) },
                     error: .unexpectedTensor("layer2.bias", known: ["layer.weight", "layer.bias"]),
                     message: "the checkpoint holds 'layer2.bias', which is not a parameter of the model (its parameters are layer.weight, layer.bias); it was saved from a different model or configuration"),
        MismatchCase(label: "wrong shape", change: { $0.parameters["layer.weight"] = tensor(TensorType(.f32, [3, 2]), from: 0) },
                     error: .shapeMismatch("layer.weight", expected: [2, 3], found: [3, 2]),
                     message: "tensor 'layer.weight' has shape [3, 2] in the checkpoint but the model needs [2, 3]; it was saved from a different configuration"),
        MismatchCase(label: "wrong dtype", change: { $0.parameters["layer.bias"] = tensor(TensorType(.f16, [3]), from: 0) },
                     error: .dtypeMismatch("layer.bias", expected: .f32, found: .f16),
                     message: "tensor 'layer.bias' is f16 in the checkpoint but the model needs f32; convert it, e.g. to float32 in PyTorch with `{k: v.float() for k, v in state.items()}`"),
        MismatchCase(label: "optimizer state of another shape", change: { $0.optimizerState["v.layer.bias"] = tensor(TensorType(.f32, [4]), from: 0) },
                     error: .shapeMismatch("v.layer.bias", expected: [3], found: [4]),
                     message: "tensor 'v.layer.bias' has shape [4] in the checkpoint but the model needs [3]; it was saved from a different configuration"),
        MismatchCase(label: "optimizer state missing", change: { $0.optimizerState["m.layer.weight"] = nil }, error: .missingTensor("m.layer.weight"),
                     message: "the checkpoint has no tensor 'm.layer.weight', which the model needs; it was saved from a different model or configuration"),
    ]
}

@Test(arguments: MismatchCase.all)
func mismatchedCheckpointNamesTheKey(_ example: MismatchCase) throws {
    var checkpoint = sampleCheckpoint()
    example.change(&checkpoint)
    // Through a file, as a user meets it.
    let loaded = try Checkpoint(SafetensorsFile(bytes: checkpoint.file.serialized()))
    let error = #expect(throws: CheckpointError.self) { try loaded.validate(against: [weight, bias], optimizerSlots: ["m", "v"]) }
    #expect(error == example.error)
    #expect(error?.description == example.message)
}

@Test func unreadableMetadataAndMissingFilesAreTypedErrors() throws {
    var file = sampleCheckpoint().file
    file.metadata["acc.step"] = "-3"
    let error = #expect(throws: CheckpointError.self) { try Checkpoint(SafetensorsFile(bytes: file.serialized())) }
    #expect(error == .invalidMetadata(key: "acc.step", value: "-3", expected: "a non-negative integer"))
    let missing = #expect(throws: CheckpointError.self) { try Checkpoint(contentsOf: URL(fileURLWithPath: "/nonexistent/checkpoint.safetensors")) }
    #expect(missing == .notFound(path: "/nonexistent/checkpoint.safetensors"))
}

@Test func theOldCheckpointStaysWholeUntilTheNewOneIsInPlace() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = Checkpoint.url(in: directory)
    try sampleCheckpoint(step: 1).write(to: url)
    var seenDuringSave: Checkpoint?
    var temporaryFiles: [String] = []
    try sampleCheckpoint(step: 2).write(to: url) {
        // The new file is complete and flushed beside the old one, which still reads as step 1.
        seenDuringSave = try? Checkpoint(contentsOf: url)
        temporaryFiles = (try? FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }) ?? []
    }
    #expect(seenDuringSave?.step == 1)
    #expect(temporaryFiles.count == 1)
    #expect(try Checkpoint(contentsOf: url).step == 2)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [Checkpoint.fileName])
}
