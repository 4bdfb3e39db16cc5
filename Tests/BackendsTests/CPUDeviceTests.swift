import KernelIR
import Testing
@testable import Backends

// Discovery, buffers and the errors a CPU device reports for bad requests.

@Test func discoveryFindsCPUDevicesWithSaneInfo() throws {
    let (devices, _) = CPUBackend().discover()
    try #require(!devices.isEmpty)
    for device in devices {
        let info = device.info
        #expect(device.id.backend == "cpu")
        #expect(info.id == device.id.rawValue)
        #expect(info.backend == "cpu")
        #expect(!info.name.isEmpty)
        #expect(info.computeUnits >= 1)
        #expect(info.memoryBytes > 0)
        #expect((info.freeMemoryBytes ?? 0) <= info.memoryBytes)
        #expect(info.dtypes == ["f32", "f16", "bf16", "i32", "bool"])
        #expect(!info.isSimulated)
        #expect(info.details["cpus"]?.split(separator: ",").count == info.computeUnits)
        if let peak = info.peakGFLOPS {
            #expect(peak > 0)
            #expect(info.details["peak f32"]?.hasPrefix("estimate:") == true)
        }
    }
    // Devices own threads, so discovery opens them once.
    #expect(CPUBackend().discover().devices.first === devices.first)
}

@Test func cpuinfoParsingFindsModelFeaturesAndClock() {
    let x86 = """
    processor\t: 0
    model name\t: AMD EPYC 9454 48-Core Processor
    cpu MHz\t\t: 2750.000
    flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw
    """
    let host = CPUHostInfo.parse(cpuinfo: x86)
    #expect(host.model == "AMD EPYC 9454 48-Core Processor")
    #expect(host.simdFeatures == ["avx2", "fma", "avx512f"])
    #expect(host.clockMHz == 2750)
    #expect(host.peakGFLOPS(cores: 2) == 2 * 2 * 16 * 2 * 2.75)
    #expect(host.peakFormula(cores: 2) == "estimate: 2 cores x 2 FMA units x 16 f32 lanes x 2 x 2.75 GHz")

    let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes\nCPU part\t: 0xd0c\n"
    let armHost = CPUHostInfo.parse(cpuinfo: arm)
    #expect(armHost.model == "Arm part 0xd0c")
    #expect(armHost.simdFeatures == ["neon"])
    #expect(armHost.clockMHz == nil)
    #expect(armHost.peakGFLOPS(cores: 4) == nil)

    #expect(CPUHostInfo.parse(cacheSize: "32K\n") == 32 << 10)
    #expect(CPUHostInfo.parse(cacheSize: "32M") == 32 << 20)
    #expect(CPUHostInfo.parse(cacheSize: "lots") == nil)
}

@Test(arguments: [0, 1, 13, 4096, 1 << 17])
func bytesRoundTripThroughABuffer(byteCount: Int) throws {
    let device = try CPUTestDevice.shared()
    let buffer = try device.allocate(byteCount: byteCount)
    #expect(buffer.byteCount == byteCount)
    #expect(buffer.device == device.id)
    let bytes = (0..<byteCount).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    try bytes.withUnsafeBytes { source in try device.copy(from: source, to: buffer) }
    var back = [UInt8](repeating: 0, count: byteCount)
    try back.withUnsafeMutableBytes { target in try device.copy(from: buffer, to: target) }
    #expect(back == bytes)
}

@Test func buffersAreCacheLineAligned() throws {
    let device = try CPUTestDevice.shared()
    for byteCount in [0, 3, 100, 1 << 16, 1 << 20] {
        let buffer = try #require(try device.allocate(byteCount: byteCount) as? CPUBuffer)
        let address = try buffer.borrow()
        buffer.endBorrow()
        #expect(Int(bitPattern: address) % 64 == 0, "\(byteCount) bytes at \(address)")
    }
}

@Test func allocationLargerThanTheNodeIsRejected() throws {
    let device = try CPUTestDevice.shared()
    let limit = device.info.memoryBytes
    let error = #expect(throws: BackendError.self) { try device.allocate(byteCount: limit + 1) }
    #expect(error == .allocationTooLarge(device.id, requested: limit + 1, maximum: limit))
    #expect(error?.description == "\(device.id): cannot allocate \(limit + 1) bytes in one buffer; the device's limit is \(limit) bytes. Split the tensor or use a smaller batch")
    #expect(throws: BackendError.allocationTooLarge(device.id, requested: -1, maximum: limit)) { try device.allocate(byteCount: -1) }
}

@Test func freedBufferCannotBeUsed() throws {
    let device = try CPUTestDevice.shared()
    let buffer = try device.allocate(byteCount: 16)
    buffer.free()
    buffer.free()
    let bytes = [UInt8](repeating: 1, count: 16)
    let error = #expect(throws: BackendError.self) {
        try bytes.withUnsafeBytes { source in try device.copy(from: source, to: buffer) }
    }
    #expect(error == .bufferFreed(device.id))
    #expect(error?.description == "\(device.id): the buffer was freed earlier and cannot be used")

    // A run reading a freed buffer fails through its event.
    let builder = GraphBuilder(name: "negate")
    let x = builder.parameter(TensorType(.f32, [4]), name: "x")
    let schedule = Fusion.schedule(builder.build(returning: [try builder.neg(x)]))
    let executable = try device.compile(schedule)
    let output = try device.allocate(byteCount: 16)
    #expect(throws: BackendError.bufferFreed(device.id)) { try device.execute(executable, inputs: [buffer], outputs: [output]).wait() }
    #expect(throws: BackendError.bufferFreed(device.id)) { try device.run(executable, inputs: [buffer], outputs: [output]) }
}

@Test func freeDuringUseTakesEffectWhenTheUseEnds() throws {
    let device = try CPUTestDevice.shared()
    let buffer = try #require(try device.allocate(byteCount: 8) as? CPUBuffer)
    let address = try buffer.borrow()
    buffer.free()
    #expect(buffer.isFreed)
    // Still borrowed: the memory stays valid until the borrow ends.
    address.storeBytes(of: 42, as: Int64.self)
    #expect(address.load(as: Int64.self) == 42)
    buffer.endBorrow()
    #expect(throws: BackendError.bufferFreed(device.id)) { try buffer.borrow() }
}

@Test func copiesOfTheWrongSizeAreRejected() throws {
    let device = try CPUTestDevice.shared()
    let buffer = try device.allocate(byteCount: 16)
    let bytes = [UInt8](repeating: 0, count: 12)
    let error = #expect(throws: BackendError.self) {
        try bytes.withUnsafeBytes { source in try device.copy(from: source, to: buffer) }
    }
    #expect(error?.description == "\(device.id): copying 12 host bytes into a buffer of 16 bytes; the sizes must match")
}

@Test func buffersOfAnotherDeviceAreRejected() throws {
    let device = try CPUTestDevice.shared()
    let other = CPUTestDevice.isolated(node: 7)
    let foreign = try other.allocate(byteCount: 16)
    var bytes = [UInt8](repeating: 0, count: 16)
    let error = #expect(throws: BackendError.self) {
        try bytes.withUnsafeMutableBytes { target in try device.copy(from: foreign, to: target) }
    }
    #expect(error?.description == "\(device.id): copying into 16 host bytes from a buffer of cpu:7; use a buffer allocated on \(device.id)")
}
