import ArgumentParser
import Backends
import Foundation
import Runtime

/// `acctl devices`: every device every backend found, as a table or JSON.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List the devices acc can run on.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let infos = Runtime.devices.map(\.info)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let document = DevicesDocument(devices: infos, warnings: Runtime.discoveryWarnings)
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
            return
        }
        var rows = [["id", "backend", "name", "units", "memory", "peak GFLOP/s", "dtypes", "numa"]]
        for info in infos {
            rows.append([info.id, info.backend + (info.isSimulated ? " (simulated)" : ""), info.name, String(info.computeUnits),
                         Format.bytes(info.memoryBytes), info.peakGFLOPS.map { Format.number($0, digits: 1) } ?? "-",
                         info.dtypes.joined(separator: " "), info.numaNode.map(String.init) ?? "-"])
        }
        print(Format.table(rows))
        let simulated = infos.filter(\.isSimulated)
        if !simulated.isEmpty {
            print("\nsimulated devices (figures from their profiles; timings they report are modeled, never measured):")
            print(Format.table(simulated.map(Self.profileRow)))
        }
        for warning in Runtime.discoveryWarnings { print("warning: \(warning)") }
        for (backend, _) in Self.expectedBackends where !infos.contains(where: { $0.backend == backend }) {
            print("no \(Self.expectedBackends[backend] ?? backend) device was found")
        }
    }

    /// A simulated device's profile figures, from its details.
    static func profileRow(_ info: DeviceInfo) -> [String] {
        let details = info.details
        let onChip = details.keys.filter { $0.hasPrefix("on-chip ") }.sorted()
            .map { "\($0.dropFirst("on-chip ".count)) \(details[$0] ?? "")" }.joined(separator: ", ")
        return [info.id, "bf16 \(details["peak bf16"] ?? "-"), fp16 \(details["peak fp16"] ?? "-"), fp32 \(details["peak fp32"] ?? "-")",
                "f32 matmul \(details["fp32 matmul"] ?? "-")", "HBM \(details["hbm"] ?? "-")", "tile \(details["matrix tile"] ?? "-")",
                "clock \(details["clock"] ?? "-")", "launch \(details["launch overhead"] ?? "-")", onChip]
    }

    /// Backend families whose absence is worth a line, with how users name them.
    static let expectedBackends = ["cpu": "CPU", "opencl": "OpenCL"]
}

/// The JSON `acctl devices --json` prints.
struct DevicesDocument: Codable {
    var devices: [DeviceInfo]
    var warnings: [String]
}

/// Text formatting shared by the commands.
enum Format {
    /// Rows as left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `12.3 GiB`, `512 MiB`, `64 KiB`, `100 B`.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : "\(number(value, digits: 1)) \(units[unit])"
    }

    /// `value` with `digits` decimals.
    static func number(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
