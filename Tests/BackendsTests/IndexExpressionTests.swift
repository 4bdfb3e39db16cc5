import KernelIR
import Testing
@testable import Backends

private func variable(_ name: String, _ extent: Int, level: Int = 1) -> IndexExpression {
    IndexExpression(IndexExpression.Variable(name: name, extent: extent, level: level))
}

@Test func decomposingAndLinearizingAFlatIndexIsTheIdentity() {
    let i = variable("i", 2 * 3 * 5 * 7)
    let shape: Shape = [2, 3, 5, 7]
    #expect(IndexExpression.linearized(IndexExpression.decomposed(i, in: shape), in: shape).description == "i")
}

@Test func reshapeSplittingAndMergingAxesStaysAffine() {
    // [2, 4, 8] read through reshape [2, 4, 2, 4] and permute [0, 2, 1, 3], as attention splits heads.
    let j = [variable("j0", 2), variable("j1", 2), variable("j2", 4), variable("j3", 4)]
    let split = [j[0], j[2], j[1], j[3]]
    let offset = IndexExpression.linearized(split, in: [2, 4, 2, 4])
    let source = IndexExpression.decomposed(offset, in: [2, 4, 8])
    #expect(IndexExpression.linearized(source, in: [2, 4, 8]).description == "32 * j0 + 4 * j1 + 8 * j2 + j3")
}

@Test func rowsOfAnOutputReadABroadcastRowOnce() {
    let o = variable("o", 6), c = variable("c", 8, level: 2)
    let outer = IndexExpression.decomposed(o, in: [2, 3])
    // [2, 1, 8] broadcast to [2, 3, 8]: the row's middle coordinate is dropped.
    let offset = IndexExpression.linearized([outer[0], IndexExpression(0), c], in: [2, 1, 8])
    #expect(offset.description == "8 * (o / 3) + c")
    #expect(offset.level == 2)
    #expect(IndexExpression.linearized(outer + [c], in: [2, 3, 8]).description == "8 * o + c")
}

@Test func boundsDecideClampsAndRemainders() {
    let i = variable("i", 10)
    #expect(i.clamped(lower: 0, upper: 9).description == "i")
    #expect((i + -2).clamped(lower: 0, upper: 5).description == "acc_clamp(i - 2, 0, 5)")
    #expect(i.modulo(16).description == "i")
    #expect(i.divided(by: 16).description == "0")
    #expect((i * 4 + 3).divided(by: 4).description == "i")
    #expect((i * 6).modulo(4).description == "((6 * i) % 4)")
    #expect(i.divided(by: 2).divided(by: 3).description == "(i / 6)")
    #expect((i * -1 + 9).bounds == (0, 9))
}

@Test func aSmallRemainderBelowACommonStepDropsOutOfQuotientsAndRemainders() {
    // (128 o + r) / 32768 with 0 <= r < 128 is o / 256; the remainder keeps r whole.
    let o = variable("o", 2048), c = variable("c", 384, level: 2)
    let r = (c + -256).clamped(lower: 0, upper: 127)
    let offset = o * 128 + r
    #expect(offset.divided(by: 32768).description == "(o / 256)")
    #expect(offset.modulo(32768).description == "128 * (o % 256) + acc_clamp(c - 256, 0, 127)")
    // A remainder that can reach the step stays a quotient of the whole sum.
    let wide = o * 128 + c
    #expect(wide.divided(by: 32768).description == "((128 * o + c) / 32768)")
}
