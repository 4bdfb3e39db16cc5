import KernelIR
import Testing
@testable import Backends

// Wrong buffers, wrong executables, and a device that fails mid-run give typed errors through the event.

/// `y = exp(x) * 2` over `f32[2, 3]`, then `sum(y)`: two kernels.
private func twoKernelSchedule() throws -> Schedule {
    let builder = GraphBuilder(name: "scaled_exp")
    let x = builder.parameter(TensorType(.f32, [2, 3]), name: "x")
    let y = try builder.mul(builder.exp(x), builder.constant(2, TensorType(.f32, [2, 3])))
    return Fusion.schedule(builder.build(returning: [y, try builder.reduce(.sum, y, over: [0, 1])]))
}

@Test func mismatchedBufferSizesAreRejected() throws {
    let device = try CPUTestDevice.shared()
    let executable = try device.compile(try twoKernelSchedule())
    let input = try device.allocate(byteCount: 24)
    let wrongInput = try device.allocate(byteCount: 20)
    let outputs = [try device.allocate(byteCount: 24), try device.allocate(byteCount: 4)]

    let error = #expect(throws: BackendError.self) { try device.execute(executable, inputs: [wrongInput], outputs: outputs).wait() }
    #expect(error == .bufferMismatch(device.id, reason: "input 0 of 'scaled_exp' is f32[2, 3] (24 bytes), but the buffer holds 20 bytes"))
    #expect(throws: BackendError.self) { try device.run(executable, inputs: [wrongInput], outputs: outputs) }

    let wrongOutput = #expect(throws: BackendError.self) {
        try device.execute(executable, inputs: [input], outputs: [outputs[0], try device.allocate(byteCount: 8)]).wait()
    }
    #expect(wrongOutput?.description == "\(device.id): output 1 of 'scaled_exp' is f32[] (4 bytes), but the buffer holds 8 bytes")

    let wrongCount = #expect(throws: BackendError.self) { try device.execute(executable, inputs: [], outputs: outputs).wait() }
    #expect(wrongCount?.description == "\(device.id): 'scaled_exp' takes 1 input and 2 output buffers, got 0 and 2")
}

@Test func executablesOfAnotherDeviceAreRejected() throws {
    let device = try CPUTestDevice.shared()
    let other = CPUTestDevice.isolated(node: 5)
    let executable = try other.compile(try twoKernelSchedule())
    let error = #expect(throws: BackendError.self) { try device.execute(executable, inputs: [], outputs: []).wait() }
    #expect(error?.description == "\(device.id): the executable was compiled for cpu:5, not \(device.id); compile the schedule for \(device.id)")
}

@Test func aFailingDeviceReportsDeviceLostAndRecovers() throws {
    let device = CPUTestDevice.isolated()
    let schedule = try twoKernelSchedule()
    let input = TensorValue(TensorType(.f32, [2, 3]), scalars: [0, 1, 2, -1, -2, 0.5])
    device.simulateFailure("the node went offline")
    let error = #expect(throws: BackendError.self) { try device.evaluate(schedule, on: [input]) }
    let first = schedule.kernels[0].body.name
    #expect(error == .deviceLost(device.id, reason: "the node went offline (before kernel #0 '\(first)')"))
    #expect(error?.description == "\(device.id): device lost: the node went offline (before kernel #0 '\(first)'); other devices are unaffected")
    #expect(throws: BackendError.self) { try device.evaluate(schedule, on: [input], synchronously: true) }

    // Other devices are unaffected, and the device works again once healed.
    let expected = try Interpreter().run(schedule, inputs: [input])
    expectMatches(try CPUTestDevice.shared().evaluate(schedule, on: [input]), expected, reductionLength: 100, "shared device")
    device.simulateFailure(nil)
    expectMatches(try device.evaluate(schedule, on: [input]), expected, reductionLength: 100, "healed device")
}

@Test func malformedSchedulesAreRejectedAtCompileTime() throws {
    let device = try CPUTestDevice.shared()
    var schedule = try twoKernelSchedule()
    schedule.slotByteCounts[0] = 4
    let error = #expect(throws: BackendError.self) { try device.compile(schedule) }
    guard case .invalidProgram(device.id, .malformedGraph(function: "scaled_exp", _))? = error else {
        Issue.record("expected invalidProgram, got \(String(describing: error))")
        return
    }
}
