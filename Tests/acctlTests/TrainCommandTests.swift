import ArgumentParser
import Foundation
import Testing
@testable import acctl
import KernelIR
import Models
import Runtime

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/vdit-test")
private let weights = fixtures.appendingPathComponent("weights.safetensors").path
private let batch = fixtures.appendingPathComponent("batch.safetensors").path

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acc-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func losses(in output: String) throws -> [Double] {
    let document = try JSONDecoder().decode(LossesDocument.self, from: Data(output.utf8))
    return document.losses
}

@Test func trainJSONMatchesTheFixtureLosses() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outcome = try AcctlProcess.run(["train", "--model", "vdit-test", "--device", "cpu:0", "--init", weights, "--data", batch,
                                        "--steps", "5", "--json"], in: directory)
    #expect(outcome.status == 0, "\(outcome.errorOutput)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("expected.json"))) as? [String: Any])
    let expected = try #require(json["losses_5_steps"] as? [Double])
    let actual = try losses(in: outcome.output)
    #expect(actual.count == expected.count)
    for (a, e) in zip(actual, expected) { #expect(Swift.abs(a - e) <= 1e-4 * Swift.abs(e), "\(actual) vs \(expected)") }
    #expect(outcome.errorOutput.contains("step 5/5  loss "))
    #expect(outcome.errorOutput.contains("samples/s"))
}

@Test func aProcessKilledMidSaveLeavesThePreviousCheckpointAndResumeMatchesAnUninterruptedRun() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let common = ["train", "--model", "vdit-test", "--device", "cpu:0", "--steps", "4", "--seed", "3", "--json"]
    // Saves at steps 2 and 4; the second save dies after writing its temporary file, before the rename.
    let killed = try AcctlProcess.run(common + ["--checkpoint", "killed", "--checkpoint-every", "2", "--test-kill-during-save", "2"],
                                      in: directory)
    #expect(killed.wasSignalled && killed.status == SIGKILL, "\(killed.errorOutput)")
    let run = directory.appendingPathComponent("killed")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.path)
    #expect(leftovers.contains { $0.hasSuffix(".tmp") }, "the new checkpoint was complete but not yet in place: \(leftovers)")
    let previous = try Checkpoint(contentsOf: Checkpoint.url(in: run))
    #expect(previous.step == 2)
    try previous.validate(against: VDiTProgram(configuration: .test).parameters, optimizerSlots: VDiTTrainer.optimizerSlots)

    let resumed = try AcctlProcess.run(common + ["--checkpoint", "killed", "--resume"], in: directory)
    #expect(resumed.status == 0, "\(resumed.errorOutput)")
    let straight = try AcctlProcess.run(common + ["--checkpoint", "straight"], in: directory)
    #expect(straight.status == 0, "\(straight.errorOutput)")
    let straightLosses = try losses(in: straight.output)
    #expect(try losses(in: resumed.output) == Array(straightLosses[2...]), "steps 3 and 4 after resuming are bit-identical")
    let end = try Checkpoint(contentsOf: Checkpoint.url(in: run))
    let reference = try Checkpoint(contentsOf: Checkpoint.url(in: directory.appendingPathComponent("straight")))
    #expect(end.step == 4 && end.random == reference.random)
    #expect(end.parameters == reference.parameters)
    #expect(end.optimizerState == reference.optimizerState)
}

@Test func ctrlCSavesACheckpointAndExits() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outcome = try AcctlProcess.interrupt(["train", "--model", "vdit-test", "--steps", "1000000", "--log-every", "1",
                                              "--checkpoint", "run"], in: directory, after: "step 2/")
    #expect(!outcome.wasSignalled && outcome.status == 130, "\(outcome.errorOutput)")
    let saved = try Checkpoint(contentsOf: Checkpoint.url(in: directory.appendingPathComponent("run")))
    #expect(saved.step >= 2)
    #expect(outcome.errorOutput.contains("checkpoint at step \(saved.step) saved to"))
    #expect(outcome.errorOutput.contains("interrupted after step \(saved.step)"))
}

@Test func trainingWritesASampleGIF() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try TrainCommand.parse(["--model", "vdit-test", "--steps", "3", "--samples", directory.path, "--sample-steps", "2"]).run()
    for name in ["vdit-test-step3.gif", "vdit-test-data.gif"] {
        let gif = try Data(contentsOf: directory.appendingPathComponent(name))
        #expect(gif.starts(with: Array("GIF89a".utf8)), "\(name)")
    }
}

@Test func unknownModelsAndDevicesListTheKnownOnes() throws {
    let model = #expect(throws: ValidationError.self) { try TrainCommand.parse(["--model", "vdit-xl", "--steps", "1"]).run() }
    #expect(model?.message == "unknown model 'vdit-xl'; known models: vdit-test, vdit-s, vdit-m")
    let device = #expect(throws: RuntimeError.self) {
        try TrainCommand.parse(["--model", "vdit-test", "--device", "tpu:7", "--steps", "1"]).run()
    }
    #expect(device?.description == "unknown device 'tpu:7'; known devices: " + Runtime.devices.map(\.id.rawValue).joined(separator: ", "))
}

@Test func aBatchOfTheWrongShapeNamesTheExpectedShape() throws {
    let error = #expect(throws: TrainingError.self) { try TrainCommand.parse(["--model", "vdit-s", "--data", batch, "--steps", "1"]).run() }
    #expect(error == .batchShapeMismatch("x0", expected: [8, 8, 32, 32, 3], found: [2, 4, 16, 16, 3], model: "vdit-s with batch size 8"))
}

@Test func weightsOfAnotherModelNameTheKey() throws {
    let error = #expect(throws: TrainingError.self) { try TrainCommand.parse(["--model", "vdit-s", "--init", weights, "--steps", "1"]).run() }
    #expect(error == .checkpoint(.shapeMismatch("patch_embed.weight", expected: [96, 128], found: [96, 32])))
    #expect(error?.description.contains("tensor 'patch_embed.weight' has shape [96, 32] in the checkpoint but the model needs [96, 128]") == true)
}

@Test func resumingWithoutACheckpointSaysWhatToDo() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let error = #expect(throws: TrainingError.self) {
        try TrainCommand.parse(["--model", "vdit-test", "--steps", "1", "--checkpoint", directory.path, "--resume"]).run()
    }
    #expect(error?.description.hasPrefix("no checkpoint at") == true)
    #expect(throws: (any Error).self) { try TrainCommand.parse(["--resume"]) }
}
