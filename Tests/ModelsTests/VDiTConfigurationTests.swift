import Testing
@testable import Models

@Test(arguments: [
    // name, tokens N, patch values P, head width — the table of vdit.md
    ("vdit-test", 32, 96, 16),
    ("vdit-s", 256, 96, 32),
    ("vdit-m", 512, 384, 32),
])
func configurationsMatchTheWorkloadTable(name: String, tokens: Int, patchSize: Int, headWidth: Int) throws {
    let configuration = try #require(VDiTConfiguration.all.first { $0.name == name })
    #expect(configuration.tokens == tokens)
    #expect(configuration.patchSize == patchSize)
    #expect(configuration.headWidth == headWidth)
}

@Test func forwardFLOPsCountEveryMatrixProduct() {
    // vdit-test by hand: rows = B*N = 64, D = 32, P = 96, F = 64, B = 2, N = 32, L = 2.
    let rows = 64, d = 32
    let block = 2 * rows * d * 96 + 2 * rows * d * d + 2 * rows * d * 128 + 2 * rows * 128 * d
        + 2 * 2 * (2 * 2 * 32 * 32 * 16) + 2 * 2 * d * 192
    let expected = 2 * rows * 96 * d + 2 * 2 * 64 * d + 2 * 2 * d * d + 2 * block + 2 * 2 * d * 64 + 2 * rows * d * 96
    #expect(VDiTConfiguration.test.forwardFLOPs == expected)
}
