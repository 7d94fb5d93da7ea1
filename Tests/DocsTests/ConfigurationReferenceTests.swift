import Foundation
import Testing

/// Docs/configuration.md is the one place an operator looks up a variable. Every `TONGBAN_…` name
/// that the services, the shared libraries or the `tongban` command read must be there, in its
/// service's section; and nothing may be documented that nothing reads.
///
/// How the names are found: every string literal starting with `TONGBAN_` in Services/ and Shared/,
/// with comments removed first (a name a doc comment mentions is not a read). Every read goes
/// through such a literal — `EnvironmentVariables.integer("TONGBAN_…")`, `values["TONGBAN_…"]`,
/// `ProcessInfo…environment["TONGBAN_…"]` — and the two names the CLI builds per service
/// (`"TONGBAN_\(service…)_URL"`) become the templates `TONGBAN_<…>_URL`; the literal prefix
/// `"TONGBAN_KAFKA_"` is the librdkafka pass-through, `TONGBAN_KAFKA_<SETTING>`.
@Suite("Docs/configuration.md")
struct ConfigurationReferenceTests {
    /// A variable name with any placeholder (`<SERVICE>`, an interpolation) written as `<*>`.
    static func normalised(_ name: String) -> String {
        var name = name.replacing(/<[A-Z_]+>/, with: "<*>").replacing(/\\\([^)]*\)\)?/, with: "<*>")
        if name.hasSuffix("_") { name += "<*>" }
        return name
    }

    /// The names the code reads, with the folder under Services/ or Shared/ each was found in.
    static func namesInCode() throws -> [String: Set<String>] {
        var names: [String: Set<String>] = [:]
        for base in ["Services", "Shared"] {
            for path in Repository.files(under: base, extensions: [".swift"]) {
                let folder = path.split(separator: "/")[1]
                for match in try Repository.swiftCode(path).matches(of: /"(TONGBAN_(?:[A-Z0-9_]|\\\([^"]*?\)\))*)/) {
                    names[normalised(String(match.output.1)), default: []].insert("\(base)/\(folder)")
                }
            }
        }
        return names
    }

    /// The reference's tables: for each `## ` section, the names in the first column's backticks.
    static func documented() throws -> [String: Set<String>] {
        var sections: [String: Set<String>] = [:]
        var section = ""
        for line in try Repository.text("Docs/configuration.md").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3))
            } else if line.hasPrefix("| `"), let firstCell = line.split(separator: "|").first {
                for match in firstCell.matches(of: /`([A-Z][A-Z0-9_<>]*)`/) {
                    sections[section, default: []].insert(normalised(String(match.output.1)))
                }
            }
        }
        return sections
    }

    /// The section a folder's variables belong in.
    static func section(for folder: String) -> String? {
        switch folder {
        case "Services/Intake": "intake"
        case "Services/Approval": "approval"
        case "Services/Seal": "seal"
        case "Services/Evaluation": "evaluation"
        case "Services/Relay": "relay"
        case "Services/CLI": "The tongban command"
        default: nil
        }
    }

    @Test("the scan finds the variables it must: each service's own, the shared ones and the CLI's templates")
    func scanFindsKnownReads() throws {
        let names = try Self.namesInCode()
        #expect(names["TONGBAN_HTTP_PORT"] == ["Shared/ServiceKit"])
        #expect(names["TONGBAN_SEAL_KEY_ENCRYPTION_KEY"] == ["Services/Seal"])
        #expect(names["TONGBAN_RELAY_RETRY_LIMIT_SECONDS"] == ["Services/Relay"])
        #expect(names["TONGBAN_<*>_URL"] == ["Services/CLI"])
        #expect(names["TONGBAN_KAFKA_<*>"] == ["Shared/ServiceKit"])
        // A name only a comment mentions is no read.
        #expect(names.keys.allSatisfy { !$0.contains(" ") })
    }

    @Test("every variable the services, the shared libraries and the tongban command read is documented, in its service's section")
    func everyReadIsDocumented() throws {
        let documented = try Self.documented()
        let all = documented.values.reduce(Set<String>()) { $0.union($1) }
        let common = documented["Every service"] ?? []
        #expect(!common.isEmpty, "Docs/configuration.md has no 'Every service' section")
        for (name, folders) in try Self.namesInCode() {
            #expect(all.contains(name), "\(name) (read in \(folders.sorted())) is not in Docs/configuration.md")
            for folder in folders {
                guard let section = Self.section(for: folder) else { continue }
                #expect(documented[section, default: []].contains(name) || common.contains(name), "\(name) is read by \(folder) but not documented under '\(section)' or 'Every service'")
            }
        }
    }

    @Test("nothing is documented that nothing reads: services, CLI, scripts, test support or the compose files")
    func everyDocumentedNameIsRead() throws {
        var read = Set(try Self.namesInCode().keys)
        for folder in ["Scripts", "Tests/TestSupport", "Tests/ServiceTestSupport", "Compose"] {
            for path in Repository.files(under: folder, extensions: [".sh", ".swift", ".yaml"]) {
                let text = try Repository.text(path)
                for match in text.matches(of: /TONGBAN_(?:[A-Z0-9_]|\$\{[^}]*\})*/) {
                    read.insert(Self.normalised(String(match.output).replacing(/\$\{[^}]*\}/, with: "<*>")))
                }
            }
        }
        let composeVariables = try Self.composeVariables()
        for (section, names) in try Self.documented() {
            for name in names {
                if section == "Compose (.env)" {
                    #expect(composeVariables.contains(name), "\(name) is documented for Compose but no compose file uses it")
                } else {
                    #expect(read.contains(name), "\(name) is documented under '\(section)' but nothing reads it")
                }
            }
        }
    }

    /// Every `${NAME}` the compose files interpolate.
    static func composeVariables() throws -> Set<String> {
        var names: Set<String> = []
        for path in ["Compose/compose.yaml", "Compose/partner-region.yaml"] {
            for match in try Repository.text(path).matches(of: /\$\{([A-Z0-9_]+)/) {
                names.insert(String(match.output.1))
            }
        }
        return names
    }

    /// The variables Compose/make-env.sh writes into .env: it runs in a folder of its own.
    static func madeByMakeEnv() throws -> Set<String> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("make-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("make-env.sh")
        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("Compose/make-env.sh"), to: script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let env = try String(contentsOf: folder.appendingPathComponent(".env"), encoding: .utf8)
        var names: Set<String> = []
        for line in env.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            #expect(parts.count == 2 && parts[1].count >= 16, "make-env.sh wrote a short value for \(parts.first ?? "")")
            names.insert(String(parts[0]))
        }
        return names
    }

    @Test("every variable the compose files interpolate is documented, and each one without a default is made by Compose/make-env.sh")
    func composeVariablesAreDocumented() throws {
        let documented = try Self.documented()["Compose (.env)"] ?? []
        let made = try Self.madeByMakeEnv()
        for path in ["Compose/compose.yaml", "Compose/partner-region.yaml"] {
            for match in try Repository.text(path).matches(of: /\$\{([A-Z0-9_]+)(:-)?/) {
                let name = String(match.output.1)
                #expect(documented.contains(name), "\(path) uses ${\(name)}, which Docs/configuration.md does not explain under 'Compose (.env)'")
                if match.output.2 == nil {
                    #expect(made.contains(name), "\(path) needs ${\(name)} but Compose/make-env.sh does not make it")
                }
            }
        }
    }

    @Test("every TONGBAN_ variable given to a Tongban container is one the code reads")
    func containersGetOnlyRealVariables() throws {
        let read = Set(try Self.namesInCode().keys)
        for stack in [try ComposeTests.home(), try ComposeTests.withPartner()] {
            for (name, service) in stack.tongbanServices {
                for variable in ComposeTests.Stack.environment(of: service).keys where variable.hasPrefix("TONGBAN_") {
                    let known = read.contains(variable)
                        || (variable.hasPrefix("TONGBAN_KAFKA_") && read.contains("TONGBAN_KAFKA_<*>"))
                        || (variable.hasSuffix("_DB_PASSWORD") && read.contains("TONGBAN_<*>_DB_PASSWORD"))
                    #expect(known, "\(stack.name): \(name) is given \(variable), which no code reads")
                }
            }
        }
    }
}
