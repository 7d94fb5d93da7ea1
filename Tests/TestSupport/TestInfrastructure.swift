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
