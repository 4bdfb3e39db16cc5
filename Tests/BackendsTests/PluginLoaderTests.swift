import CAccPlugin
import Foundation
import KernelIR
import Testing
@testable import Backends

// The loader opens plugins from a search path, and skips with a clear warning, never fatally,
// every plugin it cannot use.

@Test func exampleLoadsWithOneDescribedDevice() throws {
    let (devices, warnings) = try ExamplePlugin.load(.standard)
    #expect(warnings.isEmpty)
    try #require(devices.map(\.id) == ["plugin:example:0"])
    let info = devices[0].info
    #expect(info.id == "plugin:example:0")
    #expect(info.backend == "plugin")
    #expect(info.name == "example host device")
    #expect(info.dtypes == DType.allCases.map(\.rawValue))
    #expect(info.memoryBytes == 1 << 30)
    #expect(info.freeMemoryBytes != nil, "a 1.1 plugin reports free memory")
    #expect(info.details["plugin abi"] == "1.1")
    #expect(info.details["plugin"] == (try ExamplePlugin.path(of: .standard)))
}

@Test func registryIncludesThePluginBackend() {
    #expect(Registry.backends.map(\.name).contains("plugin"))
}

/// The registry lists the example wherever `ACC_PLUGIN_PATH` names it, as scripts/test.sh does;
/// under CI the test command must have built it.
@Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"
               || ProcessInfo.processInfo.environment["ACC_PLUGIN_PATH"]?.contains(".build/plugins") == true))
func registryListsTheExampleNamedByACCPluginPath() {
    let (devices, warnings) = Registry.discover()
    #expect(devices.contains { $0.id == "plugin:example:0" }, "ACC_PLUGIN_PATH=\(ProcessInfo.processInfo.environment["ACC_PLUGIN_PATH"] ?? "unset"); warnings: \(warnings)")
}

/// A plugin the loader must refuse, and the warning it must give.
struct BadPlugin: CustomTestStringConvertible, Sendable {
    var variant: ExamplePlugin.Variant
    var message: @Sendable (_ path: String) -> String
    var testDescription: String { variant.rawValue }

    static let all: [BadPlugin] = [
        BadPlugin(variant: .wrongMajor) { path in
            "plugin \(path) skipped: it was built for plugin ABI 2.1, and this runtime speaks ABI 1.1 (a different major version is incompatible); rebuild it against this runtime's acc_plugin.h"
        },
        BadPlugin(variant: .missingEntryPoint) { path in
            "plugin \(path) skipped: it does not export acc_plugin_get_api, the entry point acc_plugin.h declares"
        },
        BadPlugin(variant: .missingCompile) { path in
            "plugin \(path) skipped: its function table (ABI 1.1, \(MemoryLayout<AccPluginApi>.size) bytes) lacks executable_compile, which every ABI 1.x plugin must provide"
        },
        BadPlugin(variant: .failingInit) { path in
            "plugin \(path) skipped: its initialization failed: the example plugin was built with -DEXAMPLE_FAIL_INIT and refuses to start (ACC_ERROR_INTERNAL)"
        },
    ]
}

@Test(arguments: BadPlugin.all)
func badPluginIsSkippedWithAWarning(_ bad: BadPlugin) throws {
    let path = try ExamplePlugin.path(of: bad.variant)
    let (devices, warnings) = PluginLoader(searchPath: path).load()
    #expect(devices.isEmpty)
    #expect(warnings == [bad.message(path)])
}

@Test func fileThatIsNotASharedObjectIsSkipped() throws {
    let path = ExamplePlugin.scratchDirectory.appendingPathComponent("not-a-plugin.so").path
    try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
    let (devices, warnings) = PluginLoader(searchPath: path).load()
    #expect(devices.isEmpty)
    try #require(warnings.count == 1)
    #expect(warnings[0].hasPrefix("plugin \(path) skipped: it cannot be loaded: "), "\(warnings[0])")
}

@Test func missingSearchPathEntryIsReported() {
    let (devices, warnings) = PluginLoader(searchPath: "/nonexistent/acc-plugins::").load()
    #expect(devices.isEmpty)
    #expect(warnings == ["ACC_PLUGIN_PATH names /nonexistent/acc-plugins, which does not exist"])
    #expect(PluginLoader(searchPath: "").load().warnings.isEmpty)
}

@Test func directoryEntryLoadsItsGoodPluginsBesideBadOnes() throws {
    let directory = ExamplePlugin.scratchDirectory.appendingPathComponent("mixed", isDirectory: true)
    try? FileManager.default.removeItem(at: directory)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let good = directory.appendingPathComponent("libgood.so").path
    let failing = directory.appendingPathComponent("libfailing.so").path
    try FileManager.default.copyItem(atPath: try ExamplePlugin.path(of: .standard), toPath: good)
    try FileManager.default.copyItem(atPath: try ExamplePlugin.path(of: .failingInit), toPath: failing)
    try "not a plugin".write(to: directory.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)

    let (devices, warnings) = PluginLoader(searchPath: directory.path).load()
    #expect(devices.map(\.id) == ["plugin:example:0"])
    #expect(warnings.count == 1)
    #expect(warnings.first?.hasPrefix("plugin \(failing) skipped: its initialization failed") == true, "\(warnings)")
    #expect(try devices.first?.evaluate(Fusion.schedule(softmaxGraph()), on: [softmaxInput]).isEmpty == false)
}

@Test func secondPluginWithTheSameNameIsSkipped() throws {
    let first = try ExamplePlugin.path(of: .standard)
    let copy = ExamplePlugin.scratchDirectory.appendingPathComponent("libexample_copy.so").path
    try? FileManager.default.removeItem(atPath: copy)
    try FileManager.default.copyItem(atPath: first, toPath: copy)
    let (devices, warnings) = PluginLoader(searchPath: "\(first):\(first):\(copy)").load()
    #expect(devices.map(\.id) == ["plugin:example:0"], "a file listed twice loads once")
    #expect(warnings == ["plugin \(copy) skipped: \(first) already provides the plugin:example devices"])
}

@Test func olderMinorPluginWithAShorterTableWorks() throws {
    // Its 1.1 entries abort the process if called: the loader must stop at its struct_size.
    let (devices, warnings) = try ExamplePlugin.load(.olderMinor)
    #expect(warnings.isEmpty)
    let device = try #require(devices.first)
    #expect(device.library.tableSize == MemoryLayout<AccPluginApi>.offset(of: \AccPluginApi.event_on_ready))
    #expect(device.info.details["plugin abi"] == "1.0")
    #expect(device.info.freeMemoryBytes == nil, "1.0 has no device_memory_stats")
    let expected = try Interpreter().run(softmaxGraph(), inputs: [softmaxInput])
    for synchronously in [false, true] {
        let actual = try device.evaluate(Fusion.schedule(softmaxGraph()), on: [softmaxInput], synchronously: synchronously)
        expectMatches(actual, expected, reductionLength: 3, "softmax on a 1.0 plugin")
    }
}

@Test func newerMinorPluginWithALongerTableWorks() throws {
    // Its table has an entry appended after 1.1 that aborts the process if called.
    let (devices, warnings) = try ExamplePlugin.load(.newerMinor)
    #expect(warnings.isEmpty)
    let device = try #require(devices.first)
    #expect(device.library.tableSize == MemoryLayout<AccPluginApi>.size + MemoryLayout<UnsafeRawPointer>.size)
    #expect(device.info.details["plugin abi"] == "1.2")
    #expect(device.info.freeMemoryBytes != nil)
    let expected = try Interpreter().run(softmaxGraph(), inputs: [softmaxInput])
    expectMatches(try device.evaluate(Fusion.schedule(softmaxGraph()), on: [softmaxInput]), expected, reductionLength: 3, "softmax on a 1.2 plugin")
}

@Test func pluginThatRunsBeforeReturningNeedsNoEvents() throws {
    let device = try #require(try ExamplePlugin.load(.synchronous).devices.first)
    let expected = try Interpreter().run(softmaxGraph(), inputs: [softmaxInput])
    for synchronously in [false, true] {
        let actual = try device.evaluate(Fusion.schedule(softmaxGraph()), on: [softmaxInput], synchronously: synchronously)
        expectMatches(actual, expected, reductionLength: 3, "softmax on a synchronous plugin")
    }
}

/// Softmax over the last axis of an f32[2, 3]: three kernels, a reduction, a loop and a reduction-fed loop.
func softmaxGraph() throws -> Graph {
    let builder = GraphBuilder(name: "softmax")
    let x = builder.parameter(TensorType(.f32, [2, 3]), name: "x")
    let m = try builder.broadcast(try builder.reduce(.max, x, over: [1], keepingDimensions: true), to: [2, 3])
    let e = try builder.exp(try builder.sub(x, m))
    let s = try builder.broadcast(try builder.reduce(.sum, e, over: [1], keepingDimensions: true), to: [2, 3])
    return builder.build(returning: [try builder.div(e, s)])
}

let softmaxInput = TensorValue(TensorType(.f32, [2, 3]), scalars: [1, 2, 3, -1, 0, 0.5])
