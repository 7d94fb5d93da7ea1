import Foundation
import Postgres
import TestSupport
import Testing

/// The real service roles (intake, approval …) are cluster-wide, so these tests run one at a time
/// and all set the same passwords.
@Suite("one role and one schema per service", .serialized)
struct ServiceSchemaTests {
    static let services = ["intake", "relay", "approval", "seal", "evaluation"]
    static let passwords = Dictionary(uniqueKeysWithValues: services.map { ($0, "\($0)-\(UUID().uuidString.prefix(12))") })

    static func serviceClient(_ service: String) throws -> PostgresClient {
        TestDatabase.client(url: try TestDatabase.url(user: service, password: passwords[service]!), maximumConnections: 2)
    }

    @Test("tongban database setup creates every role and schema, twice without harm, and prints no password")
    func commandLine() async throws {
        var environment: [String: String] = ["TONGBAN_ADMIN_DATABASE_URL": TestInfrastructure.adminDatabaseURL]
        for (service, password) in Self.passwords { environment["TONGBAN_\(service.uppercased())_DB_PASSWORD"] = password }
        let tongban = TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path
        for _ in 0..<2 {
            let setup = try ChildProcess(executable: tongban, arguments: ["database", "setup"], environment: environment)
            #expect(try await setup.waitForExit() == 0, "\(setup.errorLines)")
            let printed = (setup.outputLines + setup.errorLines).joined(separator: "\n")
            for service in Self.services { #expect(printed.contains(service)) }
            for password in Self.passwords.values { #expect(!printed.contains(password)) }
        }

        for service in Self.services {
            let client = try Self.serviceClient(service)
            defer { client.close() }
            let whoAndWhere = try await client.query("SELECT current_user::text, current_schema()::text").decode((String, String).self)
            #expect(whoAndWhere.first?.0 == service && whoAndWhere.first?.1 == service)
        }
    }

    @Test("tongban database migrate applies a folder of migrations as the service, and names a changed file")
    func commandLineMigrate() async throws {
        let admin = TestDatabase.client()
        defer { admin.close() }
        try await PostgresServiceSchema.setUp(Self.services.map { PostgresServiceSchema(name: $0, password: Self.passwords[$0]!) }, on: admin)
        // The intake schema outlives a test run on a developer's cluster: start its migrations afresh.
        _ = try await admin.query("DROP TABLE IF EXISTS intake.schema_migrations")
        let table = TestDatabase.uniqueSchemaName()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(table, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let migration = folder.appendingPathComponent("0001_create_\(table).sql")
        try "CREATE TABLE \(table) (number text PRIMARY KEY);".write(to: migration, atomically: true, encoding: .utf8)

        let tongban = TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path
        let environment = ["TONGBAN_DATABASE_URL": try TestDatabase.url(user: "intake", password: Self.passwords["intake"]!)]
        let first = try await runCommand(tongban, ["database", "migrate", "intake", "--directory", folder.path], environment: environment)
        #expect(first.status == 0)
        #expect(first.output.contains("applied 0001_create_\(table).sql"))
        let owner = try await admin.query("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'intake' AND tablename = \(table)").decode(String.self)
        #expect(owner == ["intake"])

        try "CREATE TABLE \(table) (number text PRIMARY KEY, extra int);".write(to: migration, atomically: true, encoding: .utf8)
        let refused = try ChildProcess(executable: tongban, arguments: ["database", "migrate", "intake", "--directory", folder.path], environment: environment)
        #expect(try await refused.waitForExit() != 0)
        #expect(refused.errorLines.joined().contains("0001_create_\(table).sql"))
    }

    @Test("the approval role cannot read or write the intake schema, nor create in public; each uses its own")
    func isolation() async throws {
        let admin = TestDatabase.client()
        defer { admin.close() }
        let schemas = Self.services.map { PostgresServiceSchema(name: $0, password: Self.passwords[$0]!) }
        // Several set-ups at once (instances, operators) are serialised, not tripped over.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresServiceSchema.setUp(schemas, on: admin) } }
            try await group.waitForAll()
        }

        let intake = try Self.serviceClient("intake")
        defer { intake.close() }
        let approval = try Self.serviceClient("approval")
        defer { approval.close() }
        let table = TestDatabase.uniqueSchemaName()
        _ = try await intake.query("CREATE TABLE \(identifier: table) (number text)")  // lands in intake, by search_path
        _ = try await intake.query("INSERT INTO intake.\(identifier: table) VALUES ('440300-0001')")
        #expect(try await intake.query("SELECT number FROM intake.\(identifier: table)").decode(String.self) == ["440300-0001"])

        let read = try await #require(throws: PostgresError.self) {
            try await approval.query("SELECT * FROM intake.\(identifier: table)")
        }
        #expect(read.code == .insufficientPrivilege)
        #expect(read.sqlState == "42501")
        let write = try await #require(throws: PostgresError.self) {
            try await approval.query("INSERT INTO intake.\(identifier: table) VALUES ('forged')")
        }
        #expect(write.code == .insufficientPrivilege)
        let squat = try await #require(throws: PostgresError.self) {
            try await approval.query("CREATE TABLE public.\(identifier: table) (id int)")
        }
        #expect(squat.code == .insufficientPrivilege)

        _ = try await approval.query("CREATE TABLE \(identifier: table) (task text)")
        let own = try await approval.query("SELECT schemaname::text FROM pg_tables WHERE tablename = \(table) ORDER BY 1").decode(String.self)
        #expect(own == ["approval", "intake"])
    }
}
