import Foundation
import Testing
@testable import KernelIR

/// Reading the shared vdit-test fixtures (written by PyTorch's side), looking tensors up, and atomic writes.
@Suite struct SafetensorsDiskTests {
    @Test func readsTheVDiTWeightsFixture() throws {
        let weights = try SafetensorsFile(contentsOf: SafetensorsFixtures.url("weights.safetensors"))
        #expect(weights.metadata == ["seed": "0", "config": "vdit-test"])
        #expect(weights.tensors.count == 31)
        let expectedShapes: [String: Shape] = [
            "patch_embed.weight": [96, 32], "patch_embed.bias": [32], "pos_embed": [32, 32],
            "t_embed.fc1.weight": [64, 32], "t_embed.fc2.weight": [32, 32],
            "blocks.0.qkv.weight": [32, 96], "blocks.0.qkv.bias": [96], "blocks.1.ada.weight": [32, 192],
            "blocks.1.fc1.weight": [32, 128], "blocks.1.fc2.weight": [128, 32],
            "final.ada.weight": [32, 64], "final.out.weight": [32, 96],
        ]
        for (name, shape) in expectedShapes {
            #expect(try weights.tensor(named: name).type == TensorType(.f32, shape), "\(name)")
        }
        for depth in 0..<2 {
            for layer in ["ada", "qkv", "proj", "fc1", "fc2"] {
                #expect(weights.tensors["blocks.\(depth).\(layer).weight"] != nil && weights.tensors["blocks.\(depth).\(layer).bias"] != nil)
            }
        }
        let qkv = try weights.tensor(named: "blocks.0.qkv.weight")
        #expect(qkv.scalars.allSatisfy { $0.isFinite && Double(Float($0)) == $0 })
        #expect(qkv.scalars.contains { $0 != 0 })
    }

    @Test func readsTheVDiTBatchFixture() throws {
        let url = try SafetensorsFixtures.url("batch.safetensors")
        let batch = try SafetensorsFile(contentsOf: url)
        #expect(Set(batch.tensors.keys) == ["x0", "eps", "t"])
        #expect(try batch.tensor(named: "x0").type == TensorType(.f32, [2, 4, 16, 16, 3]))
        #expect(try batch.tensor(named: "eps").type == TensorType(.f32, [2, 4, 16, 16, 3]))
        #expect(try batch.tensor(named: "t").type == TensorType(.f32, [2]))
        // Values checked against Python's reader: t ~ U(0, 1), clips in [-1, 1].
        #expect(try batch.tensor(named: "t").scalars == [0.8823911547660828, 0.9843508005142212])
        let x0 = try batch.tensor(named: "x0")
        #expect(x0[0, 0, 0, 0, 0] == Double(Float(-0.9)))
        #expect(x0.scalars.allSatisfy { (-1...1).contains($0) })

        // Writing again keeps the data buffer byte for byte (the fixture also orders f32 tensors by name).
        let original = try [UInt8](Data(contentsOf: url))
        let rewritten = try batch.serialized()
        #expect(rewritten.suffix(49_160) == original.suffix(49_160))
        #expect(try SafetensorsFile(bytes: rewritten) == batch)
    }

    @Test func missingTensorErrorSuggestsNearMisses() throws {
        let batch = try SafetensorsFile(contentsOf: SafetensorsFixtures.url("batch.safetensors"))
        let typo = #expect(throws: SafetensorsError.self) { try batch.tensor(named: "xO") }
        #expect(typo == .tensorNotFound("xO", suggestions: ["x0"], available: ["eps", "t", "x0"]))
        #expect(typo?.description == "no tensor named 'xO'; did you mean 'x0'?")

        let unrelated = #expect(throws: SafetensorsError.self) { try batch.tensor(named: "weights") }
        #expect(unrelated?.description == "no tensor named 'weights'; the file holds 'eps', 't', 'x0'")

        let weights = try SafetensorsFile(contentsOf: SafetensorsFixtures.url("weights.safetensors"))
        let misspelled = #expect(throws: SafetensorsError.self) { try weights.tensor(named: "blocks.0.qkv.weigth") }
        #expect(misspelled?.description == "no tensor named 'blocks.0.qkv.weigth'; did you mean 'blocks.0.qkv.weight'?")
        let absent = #expect(throws: SafetensorsError.self) { try weights.tensor(named: "decoder") }
        #expect(absent?.description == "no tensor named 'decoder'; the file holds 31 tensors, none with a similar name")
        let empty = #expect(throws: SafetensorsError.self) { try SafetensorsFile().tensor(named: "x") }
        #expect(empty?.description == "no tensor named 'x'; the file holds no tensors")
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporaryBehind() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let url = scratch.url.appendingPathComponent("model.safetensors")
        let first = SafetensorsFile(tensors: ["a": TensorValue(TensorType(.f32, [2]), scalars: [1, 2])], metadata: ["step": "1"])
        let second = SafetensorsFile(tensors: ["b": TensorValue(TensorType(.i32, [3]), scalars: [4, 5, 6])], metadata: ["step": "2"])
        try first.write(to: url)
        #expect(try SafetensorsFile(contentsOf: url) == first)
        try second.write(to: url)
        #expect(try SafetensorsFile(contentsOf: url) == second)
        #expect(try [UInt8](Data(contentsOf: url)) == second.serialized())
        #expect(try scratch.contents() == ["model.safetensors"])
    }

    @Test func failedRenameKeepsTheTargetAndRemovesTheTemporaryFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        // A non-empty directory at the target path: the temporary file is written and flushed, then rename fails.
        let target = scratch.url.appendingPathComponent("weights.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: target.appendingPathComponent("inside"))
        let file = SafetensorsFile(tensors: ["a": TensorValue(TensorType(.f32, [1]), scalars: [1])])
        let error = #expect(throws: SafetensorsError.self) { try file.write(to: target) }
        guard case let .writeFailed(path, reason) = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(path == target.path)
        #expect(reason.hasPrefix("renaming the finished temporary file over it failed ("))
        #expect(error?.description.hasSuffix("; any previous file at that path is unchanged") == true)
        #expect(try scratch.contents() == ["weights.safetensors"])
        #expect(try String(contentsOf: target.appendingPathComponent("inside"), encoding: .utf8) == "keep")
    }

    @Test func unserializableContentsLeaveTheOldFileUntouched() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let url = scratch.url.appendingPathComponent("model.safetensors")
        let good = SafetensorsFile(tensors: ["a": TensorValue(TensorType(.bool, [1]), scalars: [1])])
        try good.write(to: url)
        let bad = SafetensorsFile(tensors: ["__metadata__": TensorValue(TensorType(.f32, [1]), scalars: [1])])
        let error = #expect(throws: SafetensorsError.self) { try bad.write(to: url) }
        #expect(error == .reservedName("__metadata__"))
        #expect(error?.description == "a tensor cannot be named '__metadata__': the format reserves that key for metadata; rename the tensor")
        #expect(try SafetensorsFile(contentsOf: url) == good)
        #expect(try scratch.contents() == ["model.safetensors"])
    }

    @Test func writingIntoAMissingDirectoryNamesThePathAndTheCause() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let url = scratch.url.appendingPathComponent("no/such/dir/model.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile().write(to: url) }
        #expect(error?.description == "cannot write '\(url.path)': creating a temporary file beside it failed "
            + "(No such file or directory); check that the directory exists and is writable; "
            + "any previous file at that path is unchanged")
    }

    @Test func readingAMissingFileNamesThePathAndTheCause() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let missing = scratch.url.appendingPathComponent("absent.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(contentsOf: missing) }
        #expect(error == .readFailed(path: missing.path, reason: "No such file or directory"))
        #expect(error?.description == "cannot read '\(missing.path)': No such file or directory")
        let directory = #expect(throws: SafetensorsError.self) { try SafetensorsFile(contentsOf: scratch.url) }
        #expect(directory == .readFailed(path: scratch.url.path, reason: "Is a directory"))
    }

    @Test func nonFileURLsAreRejected() throws {
        let url = try #require(URL(string: "https://example.com/model.safetensors"))
        #expect(throws: SafetensorsError.readFailed(path: url.absoluteString, reason: "only file URLs can be read")) {
            try SafetensorsFile(contentsOf: url)
        }
        #expect(throws: SafetensorsError.writeFailed(path: url.absoluteString, reason: "only file URLs can be written")) {
            try SafetensorsFile().write(to: url)
        }
    }
}
