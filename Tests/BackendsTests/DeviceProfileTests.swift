import Foundation
import KernelIR
import Testing
@testable import Backends

@Test func shippedProfilesCarryTheReferenceFigures() throws {
    let (profiles, warnings) = ProfileCatalog.bundled()
    #expect(warnings.isEmpty, "\(warnings)")
    #expect(profiles.map(\.id) == SimulatedTestDevice.profileIDs)
    let ascend = try SimulatedTestDevice.profile("ascend-910b")
    #expect(ascend.peakFLOPS.fp16 == 353894400000000.0 && ascend.peakFLOPS.fp32 == 88473600000000.0)
    #expect(ascend.memoryBytes == 64 << 30 && ascend.bandwidth == 1.6e12 && ascend.computeUnitCount == 24)
    #expect(ascend.buffer(named: "L0A")?.bytes == 64 << 10 && ascend.buffer(named: "L0C")?.bytes == 128 << 10)
    #expect(ascend.fp32Matmul == .native && ascend.fp32Convolution == .hf32 && ascend.family == .ascend)
    let tpu = try SimulatedTestDevice.profile("tpu-v5e")
    #expect(tpu.peakFLOPS.bf16 == 197e12 && tpu.peakFLOPS.fp16 == nil && tpu.memoryBytes == 16 << 30 && tpu.bandwidth == 819e9)
    #expect(tpu.fp32Matmul == .bf16x1 && tpu.bf16FlushesSubnormals && tpu.buffer(named: "VMEM")?.bytes == 128 << 20)
    let trainium = try SimulatedTestDevice.profile("trainium1")
    #expect(trainium.peakFLOPS.bf16 == 190e12 && trainium.memoryBytes == 32 << 30 && trainium.matrixTile.n == 512)
    #expect(trainium.fp32Matmul == .bf16x1 && !trainium.bf16FlushesSubnormals && trainium.alignmentBytes == nil)
    for profile in profiles {
        #expect(!profile.sourceURLs.isEmpty, "\(profile.id) names no sources")
        #expect(profile.notes.contains("Simulator-only figures"), "\(profile.id) does not explain its simulator figures")
    }
}

@Test func simulatedDevicesAreRegisteredAndMarkedSimulated() throws {
    let devices = Registry.discover().devices.filter { $0.id.backend == "sim" }
    #expect(devices.map(\.id.rawValue) == ["sim:ascend-910b", "sim:tpu-v5e", "sim:trainium1"])
    for device in devices {
        let info = device.info
        #expect(info.isSimulated && info.backend == "sim")
        #expect(info.details["fp32 matmul"] != nil && info.details["hbm"] != nil && info.details["launch overhead"]?.contains("est.") == true)
    }
    let tpu = try #require(devices.first { $0.id == "sim:tpu-v5e" })
    #expect(tpu.info.peakGFLOPS == 197_000, "f32 programs run at the bf16 rate under bf16x1")
    #expect(tpu.info.peakBandwidthGBps == 819 && tpu.info.memoryBytes == 16 << 30)
}

/// A profile file with one field broken, and what loading it must report.
struct MalformedProfile: CustomTestStringConvertible, Sendable {
    var name: String
    var field: String?
    var reason: String
    var edit: @Sendable (inout [String: Any]) -> Void
    var testDescription: String { name }

    static let cases: [MalformedProfile] = [
        MalformedProfile(name: "missing bandwidth", field: "memory.bandwidth_bytes_per_s", reason: "is missing") { json in
            var memory = json["memory"] as? [String: Any] ?? [:]
            memory["bandwidth_bytes_per_s"] = nil
            json["memory"] = memory
        },
        MalformedProfile(name: "bandwidth as text", field: "memory.bandwidth_bytes_per_s", reason: "expected a positive number, found the string \"fast\"") { json in
            var memory = json["memory"] as? [String: Any] ?? [:]
            memory["bandwidth_bytes_per_s"] = "fast"
            json["memory"] = memory
        },
        MalformedProfile(name: "negative capacity", field: "memory.capacity_bytes", reason: "expected a positive number, found -1") { json in
            var memory = json["memory"] as? [String: Any] ?? [:]
            memory["capacity_bytes"] = -1
            json["memory"] = memory
        },
        MalformedProfile(name: "unknown precision", field: "fp32_matmul", reason: "must be one of native, bf16x1, bf16x3, bf16x6, tf32, hf32, fp16, found 'bf16x2'") { json in
            json["fp32_matmul"] = "bf16x2"
        },
        MalformedProfile(name: "unknown family", field: "simulator.family", reason: "must be one of ascend, tpu, trainium, found 'gpu'") { json in
            var simulator = json["simulator"] as? [String: Any] ?? [:]
            simulator["family"] = "gpu"
            json["simulator"] = simulator
        },
        MalformedProfile(name: "family buffer missing", field: "on_chip", reason: "family 'tpu' tiles into a buffer named 'VMEM', which the profile lacks") { json in
            json["on_chip"] = (json["on_chip"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "VMEM" }
        },
        MalformedProfile(name: "on-chip entry without bytes", field: "on_chip[1].bytes", reason: "is missing") { json in
            var buffers = json["on_chip"] as? [[String: Any]] ?? []
            buffers[1]["bytes"] = nil
            json["on_chip"] = buffers
        },
        MalformedProfile(name: "stochastic rounding", field: "rounding", reason: "only 'nearest_even' is simulated (stochastic rounding is off by default on every profile), found 'stochastic'") { json in
            json["rounding"] = "stochastic"
        },
        MalformedProfile(name: "no simulator section", field: "simulator", reason: "is missing") { json in
            json["simulator"] = nil
        },
        MalformedProfile(name: "flag as number", field: "simulator.bf16_flushes_subnormals", reason: "expected true or false, found 1") { json in
            var simulator = json["simulator"] as? [String: Any] ?? [:]
            simulator["bf16_flushes_subnormals"] = 1
            json["simulator"] = simulator
        },
    ]
}

@Test(arguments: MalformedProfile.cases)
func malformedProfileIsReportedWithFileAndFieldAndSkipped(_ example: MalformedProfile) throws {
    let directory = try SimulatedTestDevice.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var json = try SimulatedTestDevice.json("tpu-v5e")
    json["id"] = "broken-tpu"
    example.edit(&json)
    let file = directory.appendingPathComponent("broken.json")
    try JSONSerialization.data(withJSONObject: json).write(to: file)
    var good = try SimulatedTestDevice.json("tpu-v5e")
    good["id"] = "my-tpu"
    try JSONSerialization.data(withJSONObject: good).write(to: directory.appendingPathComponent("good.json"))

    let (devices, warnings) = SimulatedBackend(environment: [ProfileCatalog.environmentVariable: directory.path]).discover()
    #expect(devices.map(\.id.rawValue) == ["sim:ascend-910b", "sim:tpu-v5e", "sim:trainium1", "sim:my-tpu"])
    let expected = BackendError.invalidProfile(file: file.path, field: example.field, reason: example.reason)
    #expect(warnings == [expected.description])
    #expect(expected.description == "\(file.path): field '\(example.field ?? "")': \(example.reason); the profile is skipped")
}

@Test func invalidJSONAndDuplicateIDsAndMissingDirectoriesAreWarnings() throws {
    let directory = try SimulatedTestDevice.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try Data("{\"id\": ".utf8).write(to: directory.appendingPathComponent("a-truncated.json"))
    try JSONSerialization.data(withJSONObject: try SimulatedTestDevice.json("trainium1")).write(to: directory.appendingPathComponent("b-copy.json"))
    try Data("not a profile".utf8).write(to: directory.appendingPathComponent("notes.txt"))
    let (devices, warnings) = SimulatedBackend(environment: [ProfileCatalog.environmentVariable: directory.path]).discover()
    #expect(devices.count == 3)
    #expect(warnings.count == 2)
    #expect(warnings.first?.hasPrefix("\(directory.appendingPathComponent("a-truncated.json").path): not valid JSON") == true)
    #expect(warnings.last == "\(directory.path): a profile with id 'trainium1' is already loaded; rename the user profile's id to add it")

    let missing = SimulatedBackend(environment: [ProfileCatalog.environmentVariable: "/nonexistent/acc-profiles"]).discover()
    #expect(missing.devices.count == 3)
    #expect(missing.warnings == ["ACC_SIM_PROFILES names '/nonexistent/acc-profiles', which is not a readable directory; no user profiles were loaded"])
}
