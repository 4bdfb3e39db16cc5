import Foundation
import KernelIR
import Testing
@testable import Backends

// The "acc-schedule 1" text plugins compile: the example in acc_plugin.h is what the serializer
// writes, and every op's attributes are written as the header's table says.

/// README.md's softmax.
let readmeSoftmax = """
    func @softmax(%x: f32[2, 3]) -> (f32[2, 3]) {
      %m = reduce_max(%x) {axes = [1], keep_dims = true} : f32[2, 1]
      %mb = broadcast(%m) {shape = [2, 3]} : f32[2, 3]
      %d = sub(%x, %mb) : f32[2, 3]
      %e = exp(%d) : f32[2, 3]
      %s = reduce_sum(%e) {axes = [1], keep_dims = true} : f32[2, 1]
      %sb = broadcast(%s) {shape = [2, 3]} : f32[2, 3]
      %y = div(%e, %sb) : f32[2, 3]
      return %y
    }
    """

@Test func softmaxSerializesAsTheHeaderShowsIt() throws {
    let header = try String(contentsOf: ExamplePlugin.packageRoot.appendingPathComponent("Sources/CAccPlugin/include/acc_plugin.h"), encoding: .utf8)
    let lines = header.split(separator: "\n", omittingEmptySubsequences: false)
    let example = try #require(lines.firstIndex { $0.hasPrefix(" * For example, softmax") })
    let start = try #require(lines[example...].firstIndex { $0.hasPrefix(" *   acc-schedule 1") })
    let end = try #require(lines[start...].firstIndex { $0 == " *   end" })
    let text = lines[start...end].map { $0.dropFirst(5) }.joined(separator: "\n") + "\n"
    let graph = try #require(try Module(parsing: readmeSoftmax).functions.first)
    #expect(Fusion.schedule(graph).serializedText == text)
}

/// One op and the `op` line it must serialize to.
struct SerializedOp: CustomTestStringConvertible, Sendable {
    var name: String
    var line: String
    var build: @Sendable (GraphBuilder) throws(KIRError) -> Value
    var testDescription: String { name }

    static let all: [SerializedOp] = [
        SerializedOp(name: "permute", line: "op 1 permute f32 3 4 2 3 1 0 3 2 0 1") { b throws(KIRError) in
            try b.permute(b.parameter(TensorType(.f32, [2, 3, 4]), name: "x"), [2, 0, 1])
        },
        SerializedOp(name: "slice", line: "op 1 slice f32 2 2 2 1 0 2 1 0 5 5 2 3") { b throws(KIRError) in
            try b.slice(b.parameter(TensorType(.f32, [5, 6]), name: "x"), start: [1, 0], limit: [5, 5], stride: [2, 3])
        },
        SerializedOp(name: "pad", line: "op 1 pad f32 2 3 5 1 0 2 1 0 0 2 -0.5") { b throws(KIRError) in
            try b.pad(b.parameter(TensorType(.f32, [2, 3]), name: "x"), low: [1, 0], high: [0, 2], value: -0.5)
        },
        SerializedOp(name: "concat", line: "op 2 concat f32 2 2 4 2 0 1 1") { b throws(KIRError) in
            try b.concat([b.parameter(TensorType(.f32, [2, 3]), name: "x"), b.parameter(TensorType(.f32, [2, 1]), name: "y")], axis: 1)
        },
        SerializedOp(name: "reduce", line: "op 1 reduce_min i32 1 4 1 0 2 0 2 0") { b throws(KIRError) in
            try b.reduce(.min, b.parameter(TensorType(.i32, [3, 4, 5]), name: "x"), over: [0, 2])
        },
        SerializedOp(name: "conv", line: "op 2 conv f32 3 2 5 4 2 0 1 1 2 1 2 1 1") { b throws(KIRError) in
            try b.convolution(b.parameter(TensorType(.f32, [2, 9, 3]), name: "x"), b.parameter(TensorType(.f32, [3, 3, 4]), name: "w"),
                              Convolution(stride: [2], paddingLow: [1], paddingHigh: [2], dilation: [1]))
        },
        SerializedOp(name: "iota", line: "op 0 iota i32 2 3 4 0 1") { b throws(KIRError) in try b.iota(TensorType(.i32, [3, 4]), axis: 1) },
        SerializedOp(name: "constant splat", line: "op 0 constant bf16 1 2 0 splat 0.1") { b throws(KIRError) in
            try b.constant(0.1, TensorType(.bf16, [2]))
        },
        SerializedOp(name: "constant elements", line: "op 0 constant f32 1 4 0 elements 4 0.5 -inf nan 1e-07") { b throws(KIRError) in
            try b.constant([0.5, -.infinity, .nan, 1e-7], TensorType(.f32, [4]))
        },
        SerializedOp(name: "random", line: "op 0 random_normal f16 1 8 0 42") { b throws(KIRError) in
            try b.random(.normal, TensorType(.f16, [8]), seed: 42)
        },
        SerializedOp(name: "cast", line: "op 1 cast bool 1 7 1 0") { b throws(KIRError) in
            try b.cast(b.parameter(TensorType(.f32, [7]), name: "x"), to: .bool)
        },
    ]
}

@Test(arguments: SerializedOp.all)
func opAttributesSerializeAsTheHeaderSays(_ example: SerializedOp) throws {
    let builder = GraphBuilder(name: "one op")
    let graph = builder.build(returning: [try example.build(builder)])
    let text = Fusion.schedule(graph).serializedText
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.contains(example.line), "\(text)")
    #expect(lines[1].hasPrefix("schedule one_op "), "names keep only [A-Za-z0-9_.]")
}
