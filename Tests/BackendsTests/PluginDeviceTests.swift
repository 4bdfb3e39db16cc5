import CAccPlugin
import Foundation
import KernelIR
import Testing
@testable import Backends

// plugin:example:0 as a `Device`: buffers, copies, compilation, runs and events, and the typed
// errors its misuse gets, with the plugin's messages carried through.

@Test func buffersRoundTripThroughThePlugin() throws {
    let device = try ExamplePlugin.device()
    let bytes: [UInt8] = (0..<100).map { UInt8($0) }
    let buffer = try device.allocate(byteCount: bytes.count)
    try bytes.withUnsafeBytes { try device.copy(from: $0, to: buffer) }
    var back = [UInt8](repeating: 0, count: bytes.count)
    try back.withUnsafeMutableBytes { try device.copy(from: buffer, to: $0) }
    #expect(back == bytes)
    let empty = try device.allocate(byteCount: 0)
    try [UInt8]().withUnsafeBytes { try device.copy(from: $0, to: empty) }
}

@Test func copiesOfTheWrongSizeOrDeviceAreRejected() throws {
    let device = try ExamplePlugin.device()
    let buffer = try device.allocate(byteCount: 8)
    var small = [UInt8](repeating: 0, count: 4)
    let error = #expect(throws: BackendError.self) { try small.withUnsafeMutableBytes { try device.copy(from: buffer, to: $0) } }
    #expect(error == .bufferMismatch("plugin:example:0", reason: "copying into 4 host bytes from a buffer of 8 bytes; the sizes must match"))
    let cpuBuffer = try CPUTestDevice.shared().allocate(byteCount: 4)
    let foreign = #expect(throws: BackendError.self) { try small.withUnsafeBytes { try device.copy(from: $0, to: cpuBuffer) } }
    #expect(foreign?.description == "plugin:example:0: copying 4 host bytes into a buffer of cpu:0; use a buffer allocated on plugin:example:0")
}

@Test func freedPluginBufferCannotBeUsed() throws {
    let device = try ExamplePlugin.device()
    let buffer = try device.allocate(byteCount: 16)
    buffer.free()
    buffer.free()
    let bytes = [UInt8](repeating: 1, count: 16)
    let error = #expect(throws: BackendError.self) { try bytes.withUnsafeBytes { try device.copy(from: $0, to: buffer) } }
    #expect(error == .bufferFreed("plugin:example:0"))
}

@Test func allocationsBeyondTheDeviceAreTypedErrors() throws {
    let device = try ExamplePlugin.device()
    let tooLarge = #expect(throws: BackendError.self) { try device.allocate(byteCount: 2 << 30) }
    #expect(tooLarge == .allocationTooLarge("plugin:example:0", requested: 2 << 30, maximum: 1 << 30))
    // The plugin itself refuses the second: 600 MB of its 1 GiB are taken (malloc'd, never touched).
    let held = try device.allocate(byteCount: 600 << 20)
    defer { held.free() }
    let refused = #expect(throws: BackendError.self) { try device.allocate(byteCount: 600 << 20) }
    guard case let .outOfMemory(id, requested, available)? = refused else {
        Issue.record("expected outOfMemory, got \(String(describing: refused))")
        return
    }
    #expect(id == "plugin:example:0" && requested == 600 << 20 && available < 600 << 20)
}

@Test func runsQueuedWithoutWaitingRunInSubmissionOrder() throws {
    let device = try ExamplePlugin.device()
    let builder = GraphBuilder(name: "increment")
    let x = builder.parameter(TensorType(.i32, [5]), name: "x")
    let graph = builder.build(returning: [try builder.add(x, try builder.constant(1, TensorType(.i32, [5])))])
    let executable = try device.compile(Fusion.schedule(graph))
    let start = TensorValue(TensorType(.i32, [5]), scalars: [0, 10, 20, 30, 40])
    let a = try device.buffer(holding: start), b = try device.allocate(byteCount: 20)
    var events: [Event] = []
    for step in 0..<20 {
        events.append(step.isMultiple(of: 2) ? device.execute(executable, inputs: [a], outputs: [b])
                                             : device.execute(executable, inputs: [b], outputs: [a]))
    }
    for event in events { try event.wait() }
    #expect(try device.value(of: a, as: start.type).scalars == [20, 30, 40, 50, 60])
}

@Test func bufferFreedDuringARunLivesUntilTheRunEnds() throws {
    let device = try ExamplePlugin.device()
    let schedule = Fusion.schedule(try softmaxGraph())
    let executable = try device.compile(schedule)
    let input = try device.buffer(holding: softmaxInput), output = try device.allocate(byteCount: 24)
    let event = device.execute(executable, inputs: [input], outputs: [output])
    input.free()
    try event.wait()
    let expected = try Interpreter().run(try softmaxGraph(), inputs: [softmaxInput])
    expectMatches([try device.value(of: output, as: expected[0].type)], expected, reductionLength: 3, "softmax after a free")
    let error = #expect(throws: BackendError.self) { try device.run(executable, inputs: [input], outputs: [output]) }
    #expect(error == .bufferFreed("plugin:example:0"))
}

@Test func wrongExecutablesAndBuffersFailTheEvent() throws {
    let device = try ExamplePlugin.device()
    let schedule = Fusion.schedule(try softmaxGraph())
    let executable = try device.compile(schedule)
    let output = try device.allocate(byteCount: 24)
    let missing = #expect(throws: BackendError.self) { try device.execute(executable, inputs: [], outputs: [output]).wait() }
    #expect(missing == .bufferMismatch("plugin:example:0", reason: "'softmax' takes 1 input and 1 output buffers, got 0 and 1"))
    let small = try device.allocate(byteCount: 8)
    let wrongSize = #expect(throws: BackendError.self) { try device.run(executable, inputs: [small], outputs: [output]) }
    #expect(wrongSize?.description == "plugin:example:0: input 0 of 'softmax' is f32[2, 3] (24 bytes), but the buffer holds 8 bytes")
    let cpu = try CPUTestDevice.shared()
    let foreign = #expect(throws: BackendError.self) { try device.run(try cpu.compile(schedule), inputs: [output], outputs: [output]) }
    #expect(foreign?.description == "plugin:example:0: the executable was compiled for cpu:0, not plugin:example:0; compile the schedule for plugin:example:0")
}

@Test func scheduleThePluginRejectsIsACompilationErrorWithItsText() throws {
    let device = try ExamplePlugin.device()
    var schedule = Fusion.schedule(try #require(try Module(parsing: readmeSoftmax).functions.first))
    schedule.slotByteCounts[0] = 4  // kernel m writes f32[2, 1] (8 bytes) there
    let error = #expect(throws: BackendError.self) { try device.compile(schedule) }
    guard case let .compilationFailed(id, kernel, log, source)? = error else {
        Issue.record("expected compilationFailed, got \(String(describing: error))")
        return
    }
    #expect(id == "plugin:example:0" && kernel == "softmax")
    #expect(log == "line 10: kernel 'm' writes 8 bytes to buffer 1, which holds 4")
    #expect(try String(contentsOfFile: source, encoding: .utf8) == schedule.serializedText)
}

/// Program text the example plugin must refuse, with the code and message it must give.
struct MalformedProgram: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var code: AccErrorCode
    var message: String
    var testDescription: String { name }

    static let header = "acc-schedule 1\nschedule f 1 1 1 1\ninput 0 f32 1 4\nslot 1 16\n"

    static let all: [MalformedProgram] = [
        MalformedProgram(name: "another format version", text: "acc-schedule 2\n", code: ACC_ERROR_UNIMPLEMENTED,
                         message: "line 1: acc-schedule 2: this plugin reads version 1"),
        MalformedProgram(name: "not a schedule", text: "hello\n", code: ACC_ERROR_INVALID_PROGRAM,
                         message: "line 1: expected 'acc-schedule', found 'hello'"),
        MalformedProgram(name: "unknown op", text: header + "kernel k loop 1 1 0 1\nparam 0 f32 1 4\nop 1 frobnicate f32 1 4 1 0\n",
                         code: ACC_ERROR_UNIMPLEMENTED, message: "line 7: the example plugin has no op 'frobnicate'"),
        MalformedProgram(name: "ill-typed op", text: header + "kernel k loop 1 1 0 1\nparam 0 f32 1 4\nop 1 exp f32 1 5 1 0\n",
                         code: ACC_ERROR_INVALID_PROGRAM,
                         message: "line 7: op 1 (exp) is ill-typed: its operands, attributes and type do not agree"),
        MalformedProgram(name: "operand defined later", text: header + "kernel k loop 1 1 0 1\nparam 0 f32 1 4\nop 1 exp f32 1 4 1 1\n",
                         code: ACC_ERROR_INVALID_PROGRAM, message: "line 7: an operand (an earlier value): 1 is outside 0...0"),
        MalformedProgram(name: "kernel writing an input", text: header + "kernel k loop 0 1 0 1\n",
                         code: ACC_ERROR_INVALID_PROGRAM, message: "line 5: the output buffer (a slot): 0 is outside 1...1"),
        MalformedProgram(name: "output larger than its buffer", text: header + "kernel k loop 1 1 0 0\nparam 0 f32 1 4\nresult 0\noutput 1 f32 1 5\nend\n",
                         code: ACC_ERROR_INVALID_PROGRAM, message: "line 8: output 0 is larger than its buffer 1"),
        MalformedProgram(name: "truncated", text: header + "kernel k loop 1 1 0 0\nparam 0 f32 1 4\nresult 0\n",
                         code: ACC_ERROR_INVALID_PROGRAM, message: "line 8: expected output, found the end of the line"),
        MalformedProgram(name: "text after end", text: header + "kernel k loop 1 1 0 0\nparam 0 f32 1 4\nresult 0\noutput 1 f32 1 4\nend\nmore\n",
                         code: ACC_ERROR_INVALID_PROGRAM, message: "line 10: text after 'end'"),
    ]
}

@Test(arguments: MalformedProgram.all)
func malformedProgramIsRejectedByThePlugin(_ example: MalformedProgram) throws {
    let device = try ExamplePlugin.device()
    let handle = device.handle
    let result = example.text.withCString { program in
        Result { () throws(PluginFailure) in
            try device.library.call { (arguments: inout AccExecutableCompileArgs) in
                arguments.device = handle
                arguments.program = program
                arguments.program_size = example.text.utf8.count
            }
        }
    }
    guard case let .failure(failure) = result else {
        Issue.record("the plugin accepted \(example.name)")
        return
    }
    #expect(failure.has(example.code), "\(failure.codeName)")
    #expect(failure.message == example.message)
}
