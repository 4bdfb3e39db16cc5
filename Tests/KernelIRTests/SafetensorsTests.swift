import Foundation
import Testing
@testable import KernelIR

/// Values of one dtype that stress its encoding: extremes, subnormals, infinities, NaN and signed zero.
struct DTypeSamples: CustomTestStringConvertible, Sendable {
    var dtype: DType
    var scalars: [Double]
    var testDescription: String { "\(dtype) round trip" }

    static let all: [DTypeSamples] = [
        DTypeSamples(dtype: .f32, scalars: [0, -0.0, 1, -2.5, 0.1.roundedToF32, Double(Float.greatestFiniteMagnitude),
                                            Double(Float.leastNonzeroMagnitude), Double(Float.leastNormalMagnitude),
                                            .infinity, -.infinity, .nan]),
        DTypeSamples(dtype: .f16, scalars: [0, -0.0, 1, -2.5, 65504, -65504, 0x1p-24, -0x1p-24, 0x3FFp-24, 0x1p-14,
                                            0x1.ffcp-1, 3.140625, .infinity, -.infinity, .nan]),
        DTypeSamples(dtype: .bf16, scalars: [0, -0.0, 1, -2.5, 3.140625, 0x1p-133, -0x1p-133, 0x7Fp-133, 0x1p-126,
                                             0x1.fep127, -0x1.fep127, .infinity, -.infinity, .nan]),
        DTypeSamples(dtype: .i32, scalars: [0, 1, -1, 7, Double(Int32.max), Double(Int32.min), 65536, -123_456_789]),
        DTypeSamples(dtype: .bool, scalars: [0, 1, 1, 0, 1]),
    ]
}

extension Double {
    fileprivate var roundedToF32: Double { Double(Float(self)) }
}

/// Whether two scalar lists agree bit for bit, except that any NaN matches any NaN.
func sameBits(_ lhs: [Double], _ rhs: [Double]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { ($0.isNaN && $1.isNaN) || $0.bitPattern == $1.bitPattern }
}

/// Where the shared vdit-test fixtures lie: beside the repository (`<repo>/../shared`) or inside it.
enum SafetensorsFixtures {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let candidates = ["../shared/fixtures/vdit-test", "shared/fixtures/vdit-test"]
        .map { repository.appendingPathComponent($0).standardized }

    static func url(_ name: String) throws -> URL {
        let directory = candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(name).path)
        }
        let found = try #require(directory, "\(name) not found in \(candidates.map(\.path))")
        return found.appendingPathComponent(name)
    }
}

/// A fresh empty directory under the system's temporary directory, removed by `cleanUp()`.
struct ScratchDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acc-safetensors-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func cleanUp() { try? FileManager.default.removeItem(at: url) }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}

@Suite struct SafetensorsTests {
    @Test(arguments: DTypeSamples.all)
    func everyDTypeRoundTrips(_ samples: DTypeSamples) throws {
        let tensor = TensorValue(TensorType(samples.dtype, Shape([samples.scalars.count])), scalars: samples.scalars)
        let file = SafetensorsFile(tensors: ["x": tensor])
        let bytes = try file.serialized()
        let read = try SafetensorsFile(bytes: bytes).tensor(named: "x")
        #expect(read.type == tensor.type)
        #expect(sameBits(read.scalars, samples.scalars), "\(read.scalars) != \(samples.scalars)")
        // Reading and writing again reproduces the bytes exactly.
        #expect(try SafetensorsFile(bytes: bytes).serialized() == bytes)
    }

    @Test func severalTensorsMetadataAndOddNamesRoundTrip() throws {
        let file = SafetensorsFile(
            tensors: [
                "scalar": TensorValue(TensorType(.f32, []), scalars: [42]),
                "empty": TensorValue(TensorType(.i32, [0, 3]), scalars: []),
                "matrix.weight": TensorValue(TensorType(.bf16, [2, 3]), scalars: [1, 2, 3, 4, 5, 6]),
                "quote\"back\\slash\nnewline\u{01}café 🎬": TensorValue(TensorType(.f16, [1]), scalars: [0.5]),
                "": TensorValue(TensorType(.bool, [2]), scalars: [1, 0]),
            ],
            metadata: ["format": "pt", "note": "tab\there, \"quoted\", ünïcode", "empty": ""])
        let read = try SafetensorsFile(bytes: try file.serialized())
        #expect(read == file)
        #expect(SafetensorsFile().metadata.isEmpty)
        #expect(try SafetensorsFile(bytes: SafetensorsFile().serialized()) == SafetensorsFile())
    }

    /// The expected bytes are written out by hand; the reference implementation (Python `safetensors`
    /// 0.8, `save_file`) produces exactly these for the same tensors and metadata.
    @Test func tinyFileMatchesHandComputedBytes() throws {
        let file = SafetensorsFile(
            tensors: [
                "w": TensorValue(TensorType(.f32, [2]), scalars: [1, -2]),
                "h": TensorValue(TensorType(.f16, []), scalars: [1.5]),
                "m": TensorValue(TensorType(.bool, [3]), scalars: [1, 0, 1]),
            ],
            metadata: ["k": "v"])
        // Data order is widest dtype first (f32, then f16, then bool), and the header lists tensors in that order.
        let json = #"{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""h":{"dtype":"F16","shape":[],"data_offsets":[8,10]},"#
            + #""m":{"dtype":"BOOL","shape":[3],"data_offsets":[10,13]}}"#
        #expect(json.utf8.count == 188)  // padded with 4 spaces to 192 = 0xC0, a multiple of 8
        let expected: [UInt8] = [0xC0, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + Array("    ".utf8)
            + [0x00, 0x00, 0x80, 0x3F]   // 1.0 as f32: sign 0, exponent 127, mantissa 0
            + [0x00, 0x00, 0x00, 0xC0]   // -2.0 as f32: sign 1, exponent 128, mantissa 0
            + [0x00, 0x3E]               // 1.5 as f16: 0 01111 1000000000 = 0x3E00
            + [0x01, 0x00, 0x01]         // bools, one byte each
        #expect(try file.serialized() == expected)
        #expect(try SafetensorsFile(bytes: expected) == file)
    }

    @Test func headerIsPaddedSoEveryElementIsAligned() throws {
        for nameLength in 1...9 {
            let name = String(repeating: "n", count: nameLength)
            let file = SafetensorsFile(tensors: [
                name: TensorValue(TensorType(.bool, [3]), scalars: [1, 1, 0]),
                "i": TensorValue(TensorType(.i32, [2]), scalars: [1, 2]),
                "b": TensorValue(TensorType(.bf16, [1]), scalars: [1]),
            ])
            let bytes = try file.serialized()
            let headerByteCount = Int(bytes[0]) | Int(bytes[1]) << 8
            let json = Array(bytes[8..<(8 + headerByteCount)])
            let padding = json.reversed().prefix { $0 == UInt8(ascii: " ") }.count
            #expect(headerByteCount % 8 == 0 && padding < 8, "name length \(nameLength)")
            #expect(json[json.count - padding - 1] == UInt8(ascii: "}"))
            let header = try SafetensorsHeader(parsing: json, dataByteCount: bytes.count - 8 - headerByteCount)
            #expect(header.entries.map(\.name) == ["i", "b", name])
            for entry in header.entries {
                #expect((8 + headerByteCount + entry.offsets.lowerBound) % entry.dtype.byteCount == 0, "\(entry.name)")
            }
        }
    }

    @Test func everyF16BitPatternDecodesAndEncodesBack() {
        for bits in UInt16.min...UInt16.max {
            let value = HalfPrecisionBits.value(f16: bits)
            #if (arch(x86_64) && !os(macOS)) || arch(arm64)
            #expect(sameBits([value], [Double(Float16(bitPattern: bits))]), "0x\(String(bits, radix: 16))")
            #endif
            let isNaN = bits & 0x7C00 == 0x7C00 && bits & 0x3FF != 0
            #expect(HalfPrecisionBits.f16(from: value) == (isNaN ? bits & 0x8000 | 0x7E00 : bits), "0x\(String(bits, radix: 16))")
        }
    }

    @Test func everyBF16BitPatternDecodesAndEncodesBack() {
        for bits in UInt16.min...UInt16.max {
            let value = HalfPrecisionBits.value(bf16: bits)
            #expect(sameBits([value], [Double(Float(bitPattern: UInt32(bits) << 16))]))
            if !value.isNaN { #expect(HalfPrecisionBits.bf16(from: value) == bits, "0x\(String(bits, radix: 16))") }
        }
    }

    @Test func halfPrecisionEncodingRoundsToNearestEven() {
        #expect(HalfPrecisionBits.f16(from: 1 + 0x1p-11) == 0x3C00)         // a tie rounds to even (down)
        #expect(HalfPrecisionBits.f16(from: 1 + 3 * 0x1p-11) == 0x3C02)     // a tie rounds to even (up)
        #expect(HalfPrecisionBits.f16(from: 65520) == 0x7C00)               // halfway past the largest overflows
        #expect(HalfPrecisionBits.f16(from: 0x1p-25) == 0x0000)             // half the least subnormal ties to zero
        #expect(HalfPrecisionBits.f16(from: -0x1.8p-25) == 0x8001)
        #expect(HalfPrecisionBits.bf16(from: 1 + 0x1p-8) == 0x3F80)
        #expect(HalfPrecisionBits.bf16(from: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(HalfPrecisionBits.bf16(from: -.nan) == 0xFFC0)
    }

    @Test func widerStoredTypesAreConvertedOnReading() throws {
        func file(_ dtype: String, _ data: [UInt8]) -> [UInt8] {
            safetensorsBytes(header: #"{"v":{"dtype":"\#(dtype)","shape":[2],"data_offsets":[0,16]}}"#, data: data)
        }
        let doubles = [0.1, -1e300].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let f64 = try SafetensorsFile(bytes: file("F64", doubles)).tensor(named: "v")
        #expect(f64.type == TensorType(.f32, [2]))
        #expect(f64.scalars == [Double(Float(0.1)), -.infinity])
        let longs = [Int64(-7), Int64(Int32.max)].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        let i64 = try SafetensorsFile(bytes: file("I64", longs)).tensor(named: "v")
        #expect(i64.type == TensorType(.i32, [2]))
        #expect(i64.scalars == [-7, Double(Int32.max)])
    }

    @Test func scalarsOutsideTheDTypeAreConvertedNotTrapped() throws {
        let tensors = [
            "f16": TensorValue(TensorType(.f16, [3]), scalars: [0.1, 1e6, 0x1p-30]),
            "i32": TensorValue(TensorType(.i32, [3]), scalars: [2.7, 1e20, .nan]),
            "bool": TensorValue(TensorType(.bool, [2]), scalars: [0.5, .nan]),
        ]
        let read = try SafetensorsFile(bytes: SafetensorsFile(tensors: tensors).serialized())
        for (name, tensor) in tensors {
            let expected = tensor.scalars.map(tensor.dtype.converting)
            #expect(sameBits(try read.tensor(named: name).scalars, expected), "\(name)")
        }
    }

    @Test func gapsBetweenTensorsAndTrailingBytesAreAccepted() throws {
        let header = #"{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[3,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        let file = try SafetensorsFile(bytes: safetensorsBytes(header: header, data: [9, 9, 9, 2, 9, 9]))
        #expect(try file.tensor(named: "a").scalars == [1])  // any nonzero BOOL byte reads as true
        #expect(try file.tensor(named: "e").scalars.isEmpty)
    }
}

/// A safetensors file with `header` as its JSON (unpadded) followed by `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}
