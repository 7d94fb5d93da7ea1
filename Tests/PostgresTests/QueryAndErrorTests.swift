import Foundation
import Postgres
import Testing

@Suite("queries bind values and report typed errors")
struct QueryAndErrorTests {
    @Test("interpolated values become numbered parameters, never SQL text")
    func interpolationBinds() {
        let number = "440300-0001"
        let query: PostgresQuery = "SELECT * FROM \(identifier: "intake").cases WHERE number = \(number) AND fee > \(10) AND note = \(nil as String?)"
        #expect(query.sql == #"SELECT * FROM "intake".cases WHERE number = $1 AND fee > $2 AND note = $3"#)
        #expect(query.bindings.count == 3)
        #expect(!query.description.contains(number))
    }

    @Test("a hostile string is stored as data, and the table it names survives")
    func injectionIsData() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("CREATE TABLE \(identifier: schema).x (value text)")
        let hostile = "'); DROP TABLE \(schema).x; --"
        _ = try await client.query("INSERT INTO \(identifier: schema).x (value) VALUES (\(hostile))")

        let stored = try await client.query("SELECT value FROM \(identifier: schema).x").decode(String.self)
        #expect(stored == [hostile])
        let tables = try await client.query("SELECT count(*) FROM pg_tables WHERE schemaname = \(schema) AND tablename = 'x'")
        #expect(try tables.decode(Int.self) == [1])
    }

    @Test("a hostile identifier is quoted into one name")
    func identifierIsQuoted() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("CREATE TABLE \(identifier: schema).keep (id int)")
        let hostile = #"odd"; DROP TABLE keep; --"#
        _ = try await client.query("CREATE TABLE \(identifier: schema).\(identifier: hostile) (id int)")
        let names = try await client.query("SELECT tablename FROM pg_tables WHERE schemaname = \(schema) ORDER BY tablename")
        #expect(try names.decode(String.self) == ["keep", hostile])
    }

    @Test("constraint violations carry their SQLSTATE class, and only debugDescription shows the data")
    func constraintViolations() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        try await client.withConnection { connection in
            try await connection.runScript(unsafeSQL: """
            CREATE TABLE \(schema).matters (code text PRIMARY KEY);
            CREATE TABLE \(schema).cases (
                number text PRIMARY KEY,
                matter text NOT NULL REFERENCES \(schema).matters (code),
                promised_days int CHECK (promised_days > 0)
            );
            INSERT INTO \(schema).matters VALUES ('food-licence');
            """)
        }
        let secret = "440300-secret-4711"
        _ = try await client.query("INSERT INTO \(identifier: schema).cases VALUES (\(secret), 'food-licence', 5)")

        let duplicate = try await #require(throws: PostgresError.self) {
            try await client.query("INSERT INTO \(identifier: schema).cases VALUES (\(secret), 'food-licence', 5)")
        }
        #expect(duplicate.code == .uniqueViolation)
        #expect(duplicate.sqlState == "23505")
        #expect(duplicate.constraintName == "cases_pkey")
        #expect(duplicate.tableName == "cases")
        #expect(!"\(duplicate)".contains(secret))
        #expect(String(reflecting: duplicate).contains(secret))

        let unknownMatter = try await #require(throws: PostgresError.self) {
            try await client.query("INSERT INTO \(identifier: schema).cases VALUES ('n2', 'no-such-matter', 5)")
        }
        #expect(unknownMatter.code == .foreignKeyViolation)

        let badLimit = try await #require(throws: PostgresError.self) {
            try await client.query("INSERT INTO \(identifier: schema).cases VALUES ('n3', 'food-licence', 0)")
        }
        #expect(badLimit.code == .checkViolation)

        let noMatter = try await #require(throws: PostgresError.self) {
            try await client.query("INSERT INTO \(identifier: schema).cases VALUES ('n4', \(nil as String?), 5)")
        }
        #expect(noMatter.code == .notNullViolation)
    }

    @Test("statements naming what does not exist, or malformed, get their own codes")
    func undefinedAndSyntax() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let table = try await #require(throws: PostgresError.self) { try await client.query("SELECT * FROM no_such_table") }
        #expect(table.code == .undefinedTable)
        let syntax = try await #require(throws: PostgresError.self) { try await client.query("SELEC 1") }
        #expect(syntax.code == .syntaxError)
        // The connection is still good after errors.
        #expect(try await client.query("SELECT 1").decode(Int32.self) == [1])
    }

    @Test("the configured statement timeout cancels a long statement, and the connection stays usable")
    func statementTimeout() async throws {
        let client = TestDatabase.client(maximumConnections: 1, statementTimeout: .milliseconds(200))
        defer { client.close() }
        // pg_sleep(5) ends without an error unless the server cancels it: the cancellation is the proof,
        // not how long it took on a busy machine.
        let error = try await #require(throws: PostgresError.self) { try await client.query("SELECT pg_sleep(5)") }
        #expect(error.code == .queryCanceled)
        #expect(error.message?.contains("statement timeout") == true)
        #expect(try await client.query("SHOW statement_timeout").decode(String.self) == ["200ms"])
    }

    @Test("a libpq URL is parsed by libpq, and its description hides the password")
    func connectionString() throws {
        let parsed = try PostgresConnectionString("postgresql://intake:s3cret@127.0.0.1:5432/tongban?application_name=x")
        #expect(parsed["user"] == "intake")
        #expect(parsed["port"] == "5432")
        #expect(parsed["dbname"] == "tongban")
        #expect(parsed["password"] == "s3cret")
        #expect(!parsed.description.contains("s3cret"))
        #expect(throws: PostgresError.self) { try PostgresConnectionString("postgresql://[broken") }

        let configuration = PostgresClient.Configuration(url: "postgresql://intake:s3cret@127.0.0.1/tongban")
        #expect(!"\(configuration)".contains("s3cret"))
        #expect(!String(reflecting: configuration).contains("s3cret"))
    }
}
