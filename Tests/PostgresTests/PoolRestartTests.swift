import Foundation
import Postgres
import TestSupport
import Testing

/// These stop and start the test cluster, so `Scripts/test.sh` runs them alone, after the rest.
@Suite("the pool across PostgreSQL restarts", .serialized)
struct PoolRestartTests {
    /// Opens `count` connections at once, so the pool holds that many idle ones afterwards.
    func warm(_ client: PostgresClient, connections count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { _ = try await client.query("SELECT pg_sleep(0.2)") }
            }
            try await group.waitForAll()
        }
    }

    @Test("after a restart, the next queries succeed on new connections", .timeLimit(.minutes(2)))
    func queryAfterRestart() async throws {
        let client = TestDatabase.client(maximumConnections: 4)
        defer { client.close() }
        try await warm(client, connections: 4)
        let before = try await client.query("SELECT pg_postmaster_start_time()").decode(Date.self)

        try await LocalInfrastructure.stop(.postgres)
        try await LocalInfrastructure.start(.postgres)

        let after = try await client.query("SELECT pg_postmaster_start_time()").decode(Date.self)
        #expect(after != before, "the server should really have restarted")
        // Every pooled connection was dead; all are replaced, none fails a query.
        try await warm(client, connections: 4)
    }

    @Test("while the server is down, queries fail with a connection error; once it is back, they succeed", .timeLimit(.minutes(2)))
    func queryWhileDown() async throws {
        let client = TestDatabase.client(maximumConnections: 2)
        defer { client.close() }
        try await warm(client, connections: 2)

        try await LocalInfrastructure.stop(.postgres)
        let down = try await #require(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(down.code == .connectionFailed)

        try await LocalInfrastructure.start(.postgres)
        #expect(try await client.query("SELECT 1").decode(Int32.self) == [1])
    }

    @Test("a statement on a connection the server ends mid-use fails with .connectionLost, and the pool recovers", .timeLimit(.minutes(2)))
    func connectionLostInUse() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let lost = try await #require(throws: PostgresError.self) {
            try await client.withConnection { connection in
                _ = try await connection.query("SELECT 1")
                try await LocalInfrastructure.stop(.postgres)
                try await LocalInfrastructure.start(.postgres)
                _ = try await connection.query("SELECT 1")
            }
        }
        #expect(lost.code == .connectionLost)
        #expect(try await client.query("SELECT 1").decode(Int32.self) == [1])
    }
}
