import Foundation
import Postgres
import TestSupport

/// Clients on the test cluster, and schemas of their own for tests that run side by side.
enum TestDatabase {
    static func client(
        url: String = TestInfrastructure.adminDatabaseURL,
        maximumConnections: Int = 4,
        acquireTimeout: Duration = .seconds(30),
        statementTimeout: Duration? = .seconds(30)
    ) -> PostgresClient {
        var configuration = PostgresClient.Configuration(url: url)
        configuration.maximumConnections = maximumConnections
        configuration.acquireTimeout = acquireTimeout
        configuration.statementTimeout = statementTimeout
        return PostgresClient(configuration: configuration)
    }

    /// A new schema with a name no other test uses (letters, digits and underscores only, so tests
    /// can write it into SQL text as is).
    static func makeSchema(on client: PostgresClient) async throws -> String {
        let name = uniqueSchemaName()
        _ = try await client.query("CREATE SCHEMA \(identifier: name)")
        return name
    }

    static func uniqueSchemaName() -> String {
        TestInfrastructure.uniqueName("t").replacingOccurrences(of: "-", with: "_")
    }

    /// The test cluster's URL for another role.
    static func url(user: String, password: String) throws -> String {
        let admin = try PostgresConnectionString(TestInfrastructure.adminDatabaseURL)
        return "postgresql://\(user):\(password)@\(admin["host"] ?? "127.0.0.1"):\(admin["port"] ?? "5432")/\(admin["dbname"] ?? "tongban")"
    }
}
