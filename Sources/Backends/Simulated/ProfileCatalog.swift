import Foundation

/// Finds simulated-device profiles: the ones shipped with acc (`Simulated/Profiles/*.json`, loaded
/// through `Bundle.module`) and a user's, from the directory `ACC_SIM_PROFILES` names.
///
/// Loading never fails: a profile that cannot be read or checked becomes a warning naming the
/// file and field and is skipped, so one bad file never hides the other devices.
public enum ProfileCatalog {
    /// The environment variable naming a directory of user profiles (`*.json`).
    public static let environmentVariable = "ACC_SIM_PROFILES"

    /// The shipped profiles, by id order.
    public static func bundled() -> (profiles: [DeviceProfile], warnings: [String]) {
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("Profiles", isDirectory: true),
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return ([], ["acc's bundled simulator profiles were not found in \(Bundle.module.bundlePath); reinstall acc"])
        }
        return load(names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) })
    }

    /// The profiles in `directory`'s `*.json` files, in file-name order.
    public static func load(directory: URL) -> (profiles: [DeviceProfile], warnings: [String]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            return ([], ["\(environmentVariable) names '\(directory.path)', which is not a readable directory; no user profiles were loaded"])
        }
        let files = names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
        return load(files)
    }

    /// The shipped profiles, then the user's from `environment[ACC_SIM_PROFILES]`; a user profile
    /// whose id is taken is skipped with a warning.
    public static func all(environment: [String: String]) -> (profiles: [DeviceProfile], warnings: [String]) {
        var (profiles, warnings) = bundled()
        guard let path = environment[environmentVariable], !path.isEmpty else { return (profiles, warnings) }
        let user = load(directory: URL(fileURLWithPath: path, isDirectory: true))
        warnings += user.warnings
        for profile in user.profiles {
            if profiles.contains(where: { $0.id == profile.id }) {
                warnings.append("\(path): a profile with id '\(profile.id)' is already loaded; rename the user profile's id to add it")
            } else {
                profiles.append(profile)
            }
        }
        return (profiles, warnings)
    }

    private static func load(_ files: [URL]) -> (profiles: [DeviceProfile], warnings: [String]) {
        var profiles: [DeviceProfile] = []
        var warnings: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                warnings.append(BackendError.invalidProfile(file: file.path, field: nil, reason: "cannot be read").description)
                continue
            }
            do throws(BackendError) {
                let profile = try DeviceProfile(json: data, file: file.path)
                if profiles.contains(where: { $0.id == profile.id }) {
                    warnings.append(BackendError.invalidProfile(file: file.path, field: "id", reason: "'\(profile.id)' is used by another file in the same directory").description)
                } else {
                    profiles.append(profile)
                }
            } catch {
                warnings.append(error.description)
            }
        }
        return (profiles, warnings)
    }
}
