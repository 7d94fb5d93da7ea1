import Foundation
import Postgres
import Synchronization
import Testing

@Suite("transactions")
struct TransactionTests {
    struct RejectedByOfficer: Error {}

    func makeTable(_ client: PostgresClient) async throws -> String {
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("CREATE TABLE \(identifier: schema).decisions (number text PRIMARY KEY, votes int NOT NULL DEFAULT 0)")
        return "\(schema).decisions"
    }

    func count(_ client: PostgresClient, _ table: String) async throws -> Int {
        try await client.query("SELECT count(*) FROM \(unescaped: table)").decode(Int.self)[0]
    }

    @Test("a returning body commits")
    func commits() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let table = try await makeTable(client)
        let inserted = try await client.withTransaction { connection in
            try await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a'), ('b')").affectedRowCount
        }
        #expect(inserted == 2)
        #expect(try await count(client, table) == 2)
    }

    @Test("an error thrown by the body rolls back everything, and is the error the caller sees")
    func thrownErrorRollsBack() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let table = try await makeTable(client)
        await #expect(throws: RejectedByOfficer.self) {
            try await client.withTransaction { connection in
                _ = try await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
                throw RejectedByOfficer()
            }
        }
        #expect(try await count(client, table) == 0)
    }

    @Test("a failing statement rolls back the statements before it")
    func failingStatementRollsBack() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let table = try await makeTable(client)
        let error = try await #require(throws: PostgresError.self) {
            try await client.withTransaction { connection in
                _ = try await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
                _ = try await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
            }
        }
        #expect(error.code == .uniqueViolation)
        #expect(try await count(client, table) == 0)
    }

    @Test("a body that swallows a statement's error does not commit half its work")
    func swallowedErrorDoesNotCommit() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let table = try await makeTable(client)
        let error = try await #require(throws: PostgresError.self) {
            try await client.withTransaction { connection in
                _ = try await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
                _ = try? await connection.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
            }
        }
        #expect(error.code == .inFailedTransaction)
        #expect(try await count(client, table) == 0)
    }

    @Test("a deadlock is retried: both transactions end up committed, one of them twice attempted", .timeLimit(.minutes(1)))
    func deadlockRetried() async throws {
        let client = TestDatabase.client(maximumConnections: 2)
        defer { client.close() }
        let table = try await makeTable(client)
        _ = try await client.query("INSERT INTO \(unescaped: table) (number) VALUES ('a'), ('b')")
        let attempts = Atomic<Int>(0)
        let bothLockedFirstRow = Barrier(parties: 2)

        // Each locks its first row, waits until the other has locked its own, then wants the other's.
        let vote: @Sendable (String, String) async throws -> Void = { first, second in
            try await client.withRetryingTransaction(isolationLevel: .readCommitted) { connection in
                let attempt = attempts.add(1, ordering: .relaxed).newValue
                _ = try await connection.query("UPDATE \(unescaped: table) SET votes = votes + 1 WHERE number = \(first)")
                if attempt <= 2 { await bothLockedFirstRow.arrive() }
                _ = try await connection.query("UPDATE \(unescaped: table) SET votes = votes + 1 WHERE number = \(second)")
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await vote("a", "b") }
            group.addTask { try await vote("b", "a") }
            try await group.waitForAll()
        }

        #expect(attempts.load(ordering: .relaxed) == 3)
        let votes = try await client.query("SELECT votes FROM \(unescaped: table) ORDER BY number").decode(Int.self)
        #expect(votes == [2, 2])
    }

    @Test("a serialization failure is retried, and the retry sees the other transaction's write")
    func serializationFailureRetried() async throws {
        let client = TestDatabase.client(maximumConnections: 2)
        defer { client.close() }
        let table = try await makeTable(client)
        _ = try await client.query("INSERT INTO \(unescaped: table) (number) VALUES ('a')")
        var attempts = 0
        try await client.withRetryingTransaction(isolationLevel: .repeatableRead) { connection in
            attempts += 1
            let votes = try await connection.query("SELECT votes FROM \(unescaped: table) WHERE number = 'a'").decode(Int.self)[0]
            if attempts == 1 {
                // Another officer's vote commits after this transaction took its snapshot.
                _ = try await client.query("UPDATE \(unescaped: table) SET votes = votes + 1 WHERE number = 'a'")
            }
            _ = try await connection.query("UPDATE \(unescaped: table) SET votes = \(votes + 1) WHERE number = 'a'")
        }
        #expect(attempts == 2)
        #expect(try await client.query("SELECT votes FROM \(unescaped: table)").decode(Int.self) == [2])
    }

    @Test("retries stop after the given number of attempts, with the last error")
    func retriesAreBounded() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        var attempts = 0
        let error = try await #require(throws: PostgresError.self) {
            try await client.withRetryingTransaction(maximumAttempts: 3) { connection in
                attempts += 1
                try await connection.runScript(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$")
            }
        }
        #expect(error.code == .serializationFailure)
        #expect(attempts == 3)
    }

    @Test("other errors are not retried")
    func otherErrorsNotRetried() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        var attempts = 0
        await #expect(throws: RejectedByOfficer.self) {
            try await client.withRetryingTransaction { _ in
                attempts += 1
                throw RejectedByOfficer()
            }
        }
        #expect(attempts == 1)
    }
}

/// Lets `parties` tasks wait until all of them have arrived.
actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) {
        self.parties = parties
    }

    func arrive() async {
        arrived += 1
        if arrived == parties {
            waiting.forEach { $0.resume() }
            waiting.removeAll()
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
    }
}
