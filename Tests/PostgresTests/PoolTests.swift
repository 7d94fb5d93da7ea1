import Foundation
import Postgres
import Testing

@Suite("the connection pool")
struct PoolTests {
    @Test("200 concurrent transactions share a pool of 8: all commit, on at most 8 server sessions", .timeLimit(.minutes(2)))
    func manyTasksFewConnections() async throws {
        let client = TestDatabase.client(maximumConnections: 8)
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("CREATE TABLE \(identifier: schema).visits (task int PRIMARY KEY, backend int NOT NULL)")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<200 {
                group.addTask {
                    try await client.withTransaction { connection in
                        _ = try await connection.query("INSERT INTO \(identifier: schema).visits VALUES (\(task), pg_backend_pid())")
                        // Hold the connection a little, so that tasks really queue for the 8.
                        _ = try await connection.query("SELECT pg_sleep(0.005)")
                    }
                }
            }
            try await group.waitForAll()
        }

        let (visits, backends) = try #require(
            try await client.query("SELECT count(*), count(DISTINCT backend) FROM \(identifier: schema).visits").decode((Int, Int).self).first
        )
        #expect(visits == 200)
        #expect(backends <= 8)
        #expect(backends > 1, "the tasks should have run on several connections at once")
    }

    @Test("a task waits for a busy pool no longer than the acquire timeout, then gets .poolTimeout")
    func acquireTimeout() async throws {
        let client = TestDatabase.client(maximumConnections: 1, acquireTimeout: .milliseconds(300))
        defer { client.close() }
        // The holder takes the only connection and keeps it until told: no timer decides who has
        // it (a 300 ms head start once lost to a loaded machine, and the query took the connection).
        let holding = ConnectionHolder(client)
        try await holding.taken()
        let clock = ContinuousClock()
        let started = clock.now
        // A .poolTimeout at all means the task gave up while the connection was held, and it waited
        // its acquire timeout first. No wall-clock upper bound: on a shared machine that would
        // measure the machine, not the pool.
        let error = try await #require(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error.code == .poolTimeout)
        #expect(clock.now - started >= .milliseconds(300))

        try await holding.release()
        #expect(try await client.query("SELECT 1").decode(Int32.self) == [1])
    }

    @Test("a waiting task that is cancelled stops waiting at once")
    func cancelledWhileWaiting() async throws {
        let client = TestDatabase.client(maximumConnections: 1, acquireTimeout: .seconds(30))
        defer { client.close() }
        let holding = ConnectionHolder(client)
        try await holding.taken()
        let waiter = Task { try await client.query("SELECT 1") }
        try await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        let result = await waiter.result
        let error = try #require(throws: PostgresError.self) { try result.get() }
        #expect(error.code == .cancelled)
        try await holding.release()
    }

    @Test("after close, the client refuses work with .poolClosed")
    func closed() async throws {
        let client = TestDatabase.client(maximumConnections: 2)
        _ = try await client.query("SELECT 1")
        client.close()
        let error = try await #require(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error.code == .poolClosed)
    }

    @Test("a connection left inside a transaction is not handed to the next task")
    func leftoverTransactionIsDropped() async throws {
        let client = TestDatabase.client(maximumConnections: 1)
        defer { client.close() }
        let schema = try await TestDatabase.makeSchema(on: client)
        _ = try await client.query("CREATE TABLE \(identifier: schema).notes (body text)")
        let abandonedSession = try await client.withConnection { connection in
            _ = try await connection.query("BEGIN")
            _ = try await connection.query("INSERT INTO \(identifier: schema).notes VALUES ('never committed')")
            return try await connection.query("SELECT pg_backend_pid()").decode(Int32.self)[0]
        }
        let (count, session) = try #require(
            try await client.query("SELECT (SELECT count(*) FROM \(identifier: schema).notes), pg_backend_pid()").decode((Int, Int32).self).first
        )
        #expect(count == 0)
        #expect(session != abandonedSession)
    }

    @Test("a wrong password is a connection failure, and says nothing of the password")
    func wrongPassword() async throws {
        let client = TestDatabase.client(url: try TestDatabase.url(user: "tongban_admin", password: "not-the-password-1234"))
        defer { client.close() }
        let error = try await #require(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error.code == .connectionFailed)
        #expect(!String(reflecting: error).contains("not-the-password-1234"))
    }
}

/// Holds a client's connection from when it has it until `release()`: the tests wait on these
/// conditions, never on a timer.
private final class ConnectionHolder: Sendable {
    let task: Task<Void, any Error>
    let took: AsyncStream<Void>
    let releasing: AsyncStream<Void>.Continuation

    init(_ client: PostgresClient) {
        let (took, tookIt) = AsyncStream<Void>.makeStream()
        let (released, releasing) = AsyncStream<Void>.makeStream()
        self.took = took
        self.releasing = releasing
        task = Task {
            defer { tookIt.finish() }
            try await client.withConnection { connection in
                _ = try await connection.query("SELECT 1")
                tookIt.yield()
                for await _ in released {}
            }
        }
    }

    /// Returns once the connection is held, or throws what kept the holder from taking it.
    func taken() async throws {
        for await _ in took { return }
        try await task.value
    }

    func release() async throws {
        releasing.finish()
        try await task.value
    }
}
