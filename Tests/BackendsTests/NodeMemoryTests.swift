import Testing
@testable import Backends

// Host allocations: aligned as promised, every requested byte usable, with or without a NUMA node.

@Test(arguments: [nil, 0] as [Int?])
func largeAllocationsStartOnAHugePageBoundary(node: Int?) throws {
    let byteCount = 3 * NodeMemory.hugePageBytes + 12_345
    let memory = try #require(NodeMemory(byteCount: byteCount, node: node))
    #expect(memory.byteCount == byteCount)
    if NodeMemory.usesHugePages { #expect(Int(bitPattern: memory.pointer) % NodeMemory.hugePageBytes == 0) }
    let bytes = memory.pointer.assumingMemoryBound(to: UInt8.self)
    bytes.update(repeating: 0xA5, count: byteCount)
    #expect(bytes[0] == 0xA5 && bytes[byteCount - 1] == 0xA5)
}

@Test(arguments: [0, 1, 100, NodeMemory.numaThreshold, NodeMemory.hugePageBytes - 1])
func smallerAllocationsAreCacheLineAligned(byteCount: Int) throws {
    let memory = try #require(NodeMemory(byteCount: byteCount, node: 0))
    #expect(Int(bitPattern: memory.pointer) % NodeMemory.alignment == 0)
    memory.pointer.storeBytes(of: 7, as: UInt8.self)
    #expect(memory.pointer.load(as: UInt8.self) == 7)
}
