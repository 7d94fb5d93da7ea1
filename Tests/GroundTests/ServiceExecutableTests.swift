import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// Every executable really starts from its environment, logs JSON lines, answers GET /healthz,
/// and stops cleanly on the signals an operator or a supervisor sends.
@Suite("service executables")
struct ServiceExecutableTests {
    static let services = ["intake", "relay", "approval", "seal", "evaluation"]

    /// A token key pair made the way an operator makes one, with `tongban token keygen`; services
    /// refuse to start without verification keys.
    static func tokenKeys() async throws -> [String: String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("tokens")).path
        let made = try await runCLI(["token", "keygen", "--directory", folder], environment: [:])
        #expect(made.status == 0)
        return [
            "TONGBAN_TOKEN_JWKS_FILE": folder + "/verification-keys.jwks",
            // Seal also refuses to start without the key that wraps its seal keys.
            "TONGBAN_SEAL_KEY_ENCRYPTION_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
        ]
    }

    /// Services migrate their schema at start-up: each process gets a schema of its own in the test
    /// database, and its connections look there first.
    static func database(for service: String) -> [String: String] {
        let schema = "\(service)_\(UUID().uuidString.prefix(8).lowercased())"
        return [
            "TONGBAN_DATABASE_URL": TestInfrastructure.adminDatabaseURL + "?options=-csearch_path%3D\(schema)",
            "TONGBAN_DATABASE_SCHEMA": schema,
        ]
    }

    /// What a service needs beyond its token keys to start here: the test database (services
    /// migrate their schema at start-up; each process gets a schema of its own), and for the relay
    /// its signing key, made with `tongban relay keygen`, and a partner registry with no partners.
    static func settings(for service: String) async throws -> [String: String] {
        var settings = try await tokenKeys().merging(database(for: service)) { $1 }
        if service == "relay" {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("relay")).path
            #expect(try await runCLI(["relay", "keygen", "--region", "130100", "--directory", folder], environment: [:]).status == 0)
            #expect(FileManager.default.createFile(atPath: folder + "/partners.json", contents: Data(#"{"partners": []}"#.utf8)))
            settings["TONGBAN_RELAY_SIGNING_KEY_FILE"] = folder + "/relay-signing-key.jwk"
            settings["TONGBAN_RELAY_PARTNERS_FILE"] = folder + "/partners.json"
        }
        return settings
    }

    @Test("starts, answers /healthz, logs JSON lines and stops on SIGTERM or SIGINT", arguments: services, [SIGTERM, SIGINT])
    func lifecycle(service: String, signal: Int32) async throws {
        let environment = try await Self.settings(for: service).merging(["TONGBAN_HTTP_PORT": "0", "TONGBAN_LOG_FORMAT": "json"]) { $1 }
        let process = try ServiceProcess(executable: service, environment: environment)
        let port = try await process.listeningPort()

        let (body, status) = try await get("http://127.0.0.1:\(port)/healthz")
        #expect(status == 200)
        let health = try JSONSerialization.jsonObject(with: body) as? [String: String]
        #expect(health == ["status": "pass", "service": service])

        process.signal(signal)
        #expect(try await process.waitForExit() == 0)

        let lines = process.logLines.filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String && object?["level"] is String && object?["message"] is String, "not a structured line: \(line)")
            #expect(object?["service"] as? String == service)
        }
        #expect(lines.contains { $0.contains(#""message":"stopped""#) })
    }

    @Test("without token verification keys a service refuses to start, naming the setting")
    func missingTokenKeys() async throws {
        let process = try ServiceProcess(executable: "intake", environment: ["TONGBAN_HTTP_PORT": "0"])
        #expect(try await process.waitForExit() == 78)
        #expect(process.logLines.contains { $0.contains("TONGBAN_TOKEN_JWKS_FILE") })
    }

    @Test("without a key encryption key seal refuses to start, naming the setting")
    func sealWithoutKeyEncryptionKey() async throws {
        var environment = try await Self.tokenKeys().merging(["TONGBAN_HTTP_PORT": "0"]) { $1 }
        environment["TONGBAN_SEAL_KEY_ENCRYPTION_KEY"] = nil
        let process = try ServiceProcess(executable: "seal", environment: environment)
        #expect(try await process.waitForExit() == 78)
        #expect(process.logLines.contains { $0.contains("TONGBAN_SEAL_KEY_ENCRYPTION_KEY") })
    }

    @Test("seal in a region that is no division code refuses to start, naming TONGBAN_REGION, like every service")
    func sealWithABadRegion() async throws {
        let environment = try await Self.settings(for: "seal").merging(["TONGBAN_HTTP_PORT": "0", "TONGBAN_REGION": "13010X"]) { $1 }
        let process = try ServiceProcess(executable: "seal", environment: environment)
        #expect(try await process.waitForExit() == 78)
        #expect(process.logLines.contains { $0.contains("TONGBAN_REGION") && $0.contains("13010X") })
    }

    @Test("the relay without its partner registry, or with a broken one, refuses to start naming the setting")
    func relayConfiguration() async throws {
        var settings = try await Self.settings(for: "relay").merging(["TONGBAN_HTTP_PORT": "0"]) { $1 }
        settings["TONGBAN_RELAY_PARTNERS_FILE"] = nil
        let missing = try ServiceProcess(executable: "relay", environment: settings)
        #expect(try await missing.waitForExit() == 78)
        #expect(missing.logLines.contains { $0.contains("TONGBAN_RELAY_PARTNERS_FILE") })

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("partners")).path
        #expect(FileManager.default.createFile(atPath: broken, contents: Data(#"{"partners": [{"region": "370100"}]}"#.utf8)))
        settings["TONGBAN_RELAY_PARTNERS_FILE"] = broken
        let refused = try ServiceProcess(executable: "relay", environment: settings)
        #expect(try await refused.waitForExit() == 78)
        #expect(refused.logLines.contains { $0.contains("TONGBAN_RELAY_PARTNERS_FILE") && $0.contains("partners[0].name is missing") })
        // The signing key never appears in what the relay prints.
        let key = try String(contentsOfFile: settings["TONGBAN_RELAY_SIGNING_KEY_FILE"]!, encoding: .utf8)
        let privatePart = try #require(key.split(separator: "\"").drop { $0 != "d" }.dropFirst(2).first)
        #expect(!(missing.logLines + refused.logLines).contains { $0.contains(privatePart) })
    }

    @Test("a malformed setting stops start-up with the variable named and exit status 78")
    func malformedConfiguration() async throws {
        let process = try ServiceProcess(executable: "approval", environment: try await Self.tokenKeys().merging(["TONGBAN_HTTP_PORT": "eighty"]) { $1 })
        #expect(try await process.waitForExit() == 78)
        #expect(process.logLines.contains { $0.contains("TONGBAN_HTTP_PORT") && $0.contains("eighty") })
    }

    @Test("a region without a working-day calendar stops approval at start-up with exit status 78, naming the setting")
    func missingCalendar() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("calendars"), isDirectory: true)
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        var environment = try await Self.settings(for: "approval").merging(["TONGBAN_HTTP_PORT": "0", "TONGBAN_REGION": "650100"]) { $1 }
        environment["TONGBAN_CALENDAR_DIR"] = empty.path
        let process = try ServiceProcess(executable: "approval", environment: environment)
        #expect(try await process.waitForExit() == 78)
        #expect(process.logLines.contains { $0.contains("TONGBAN_CALENDAR_DIR") && $0.contains("650100") })
    }

    @Test("tongban status reports every service up, and a stopped one down")
    func operatorStatus() async throws {
        var addresses: [String: String] = [:]
        var processes: [String: ServiceProcess] = [:]
        for service in Self.services {
            let process = try ServiceProcess(executable: service, environment: try await Self.settings(for: service).merging(["TONGBAN_HTTP_PORT": "0"]) { $1 })
            processes[service] = process
            addresses["TONGBAN_\(service.uppercased())_URL"] = "http://127.0.0.1:\(try await process.listeningPort())"
        }

        let allUp = try await runCLI(["status"], environment: addresses)
        #expect(allUp.status == 0)
        #expect(allUp.output.split(separator: "\n").filter { $0.contains(" up ") }.count == 5)

        // The services create their topics at start-up, as a department's kcat sees them; answering
        // /healthz comes before that, so the listing is read until every dead-letter topic is in it.
        var topics = ""
        let listed = try await eventually {
            topics = try await runCommand("/usr/bin/kcat", ["-b", TestInfrastructure.kafkaBootstrapServers, "-L"]).output
            return Self.services.allSatisfy { topics.contains("topic \"tongban.\($0).dlq.v1\"") }
        }
        #expect(listed, "not every service's dead-letter topic is listed: \(topics)")

        processes["seal"]!.signal(SIGTERM)
        #expect(try await processes["seal"]!.waitForExit() == 0)
        let sealDown = try await runCLI(["status"], environment: addresses)
        #expect(sealDown.status == 1)
        #expect(sealDown.output.split(separator: "\n").contains { $0.hasPrefix("seal") && $0.contains("DOWN") })

        for (name, process) in processes where name != "seal" {
            process.signal(SIGTERM)
            #expect(try await process.waitForExit() == 0)
        }
    }
}

/// Reads the port from Hummingbird's "Server started and listening on HOST:PORT" line.
private func get(_ url: String) async throws -> (Data, Int) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
    return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
}

private func runCLI(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
    try await runCommand(TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path, arguments, environment: environment)
}
