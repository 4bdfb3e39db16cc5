import Testing
@testable import KernelIR

// How a matmul operand's chain of views lies in its source buffer.

@Test func aSliceOfTheLastAxisIsAnOffsetWithTheSourceStrides() throws {
    let source = StridedLayout(contiguous: [2, 40, 48])
    let k = StridedLayout(source, slicedFrom: [0, 0, 16], step: [1, 1, 1], to: [2, 40, 16])
    #expect(k.offset == 16 && k.strides == [1920, 48, 1] && !k.isContiguous)
    let heads = try #require(StridedLayout(k, reshapedTo: [2, 40, 2, 8]))
    #expect(heads.strides == [1920, 48, 8, 1] && heads.offset == 16)
    let rows = try #require(StridedLayout(k, reshapedTo: [80, 16]))
    #expect(rows.strides == [48, 1], "batch and tokens merge: their strides are contiguous with each other")
}

@Test func aReshapeMergingAxesThatAreNotContiguousIsNotAView() {
    let k = StridedLayout(StridedLayout(contiguous: [2, 40, 48]), slicedFrom: [0, 0, 16], step: [1, 1, 1], to: [2, 40, 16])
    #expect(StridedLayout(k, reshapedTo: [2, 640]) == nil, "tokens and the sliced columns are 48 apart, not 16")
}

@Test func reshapesOfAContiguousBufferStayContiguous() throws {
    let layout = try #require(StridedLayout(StridedLayout(contiguous: [8, 256, 384]), reshapedTo: [1, 2048, 1, 384]))
    #expect(layout.isContiguous, "\(layout.strides)")
}
