public import Foundation

/// Where the tests find the project-local PostgreSQL and Tansu that `Scripts/test.sh` starts.
/// The defaults are that script's own, so a developer can also run `swift test` after
/// `Scripts/infra.sh start test`.
public enum TestInfrastructure {
    static let environment = ProcessInfo.processInfo.environment

    /// The cluster's superuser, for set-up work that services never do themselves.
    public static var adminDatabaseURL: String {
        environment["TONGBAN_ADMIN_DATABASE_URL"]
            ?? "postgresql://tongban_admin:tongban-local-admin@127.0.0.1:55532/tongban"
    }

    public static var kafkaBootstrapServers: String {
        environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] ?? "127.0.0.1:19192"
    }

    /// The folder holding the built executables (`swift build --show-bin-path`).
    public static var binaryDirectory: URL {
        if let path = environment["TONGBAN_BIN_DIR"] {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        // swift test runs <bin>/tongbanPackageTests.xctest, which sits beside the executables.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// A name no earlier run used, for topics, consumer groups and schemas.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Stops and starts the test profile's PostgreSQL or Tansu under a running test, through the same
/// script that started them, with the same ports (the environment `Scripts/test.sh` exported).
public enum LocalInfrastructure {
    public enum Component: String, Sendable {
        case postgres, tansu
    }

    public static func stop(_ component: Component) async throws {
        try await infra("stop-\(component.rawValue)")
    }

    public static func start(_ component: Component) async throws {
        try await infra("start-\(component.rawValue)")
    }

    /// The repository's root, found from this file's place in it.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func infra(_ command: String) async throws {
        let script = repositoryRoot.appendingPathComponent("Scripts/infra.sh").path
        let (status, _) = try await runCommand("/bin/bash", [script, command, "test"])
        guard status == 0 else {
            throw InfrastructureError(description: "Scripts/infra.sh \(command) test exited with \(status)")
        }
    }
}

public struct InfrastructureError: Error, CustomStringConvertible {
    public var description: String
}

extension TestInfrastructure {
    /// The URL a service role logs in with, on the test cluster.
    public static func databaseURL(role: String, password: String) -> String {
        let port = environment["TONGBAN_PG_PORT"] ?? "55532"
        return "postgresql://\(role):\(password)@127.0.0.1:\(port)/tongban"
    }
}
