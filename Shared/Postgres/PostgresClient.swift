public import Logging
public import ServiceLifecycle
import Synchronization

/// Tongban's PostgreSQL client: a bounded pool of libpq connections.
///
///     let client = PostgresClient(configuration: .init(url: databaseURL), logger: logger)
///     let rows = try await client.query("SELECT number FROM cases WHERE applicant = \(applicant)")
///     try await client.withTransaction { connection in … }
///
/// Connections open lazily, up to `maximumConnections`; a task that finds them all busy waits, in
/// order of arrival, for at most `acquireTimeout` (then `.poolTimeout`).
///
/// After a server restart: a pooled connection that the server closed while it sat idle is noticed
/// before it is handed out, and replaced, so the next statement simply succeeds. A statement that
/// was already sent when the connection broke fails with `.connectionLost` and is not retried, since
/// the server may have run it; the broken connection is dropped and its slot reopened on demand.
///
/// Cancelling a task stops it waiting for a connection (`.cancelled`), but does not interrupt a
/// statement already sent: `statementTimeout` is what bounds those.
public final class PostgresClient: Sendable {
    public let configuration: Configuration
    let logger: Logger
    private let pool: Mutex<ConnectionPoolState>
    private let lastConnectionID = Atomic<Int>(0)

    public init(configuration: Configuration, logger: Logger = Logger(label: "tongban.postgres")) {
        precondition(configuration.maximumConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.logger = logger
        pool = Mutex(ConnectionPoolState(maximumConnections: configuration.maximumConnections))
    }

    /// Runs one statement on a pooled connection (outside any explicit transaction).
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws(PostgresError) -> PostgresRows {
        let connection = try await lease()
        defer { release(connection) }
        return try await PostgresConnection(connection).query(query, file: file, line: line)
    }

    /// Lends a connection to `body` for several statements in a row. The connection goes back to
    /// the pool when `body` returns; it must not be kept beyond that.
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let connection = try await lease()
        defer { release(connection) }
        return try await body(PostgresConnection(connection))
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func withTransaction<Result>(
        isolationLevel: PostgresIsolationLevel = .readCommitted,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let connection = try await lease()
        defer { release(connection) }
        return try await PostgresConnection(connection).withTransaction(isolationLevel: isolationLevel, body)
    }

    /// Like `withTransaction`, but runs the whole transaction again, up to `maximumAttempts` times
    /// in all, when it fails with a serialization failure (40001) or a deadlock (40P01): the server
    /// rolled it back and another attempt may succeed. `body` must therefore be safe to run again:
    /// nothing it does outside the database may assume the attempt commits.
    public func withRetryingTransaction<Result>(
        isolationLevel: PostgresIsolationLevel = .serializable,
        maximumAttempts: Int = 3,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        var attempt = 1
        while true {
            do {
                return try await withTransaction(isolationLevel: isolationLevel, body)
            } catch let error as PostgresError where error.isConflict && attempt < maximumAttempts {
                logger.debug(
                    "retrying a transaction",
                    metadata: [PostgresMetadataKey.errorCode: "\(error.code)", PostgresMetadataKey.attempt: "\(attempt + 1)"]
                )
                // A random pause, growing with each attempt, so the transactions that collided
                // do not collide again in lockstep.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << attempt))))
                attempt += 1
            }
        }
    }

    /// Closes the idle connections and fails waiting and future leases with `.poolClosed`; leased
    /// connections close when they come back.
    public func close() {
        let (resumptions, idle) = pool.withLock { $0.close() }
        resumptions.forEach { $0.perform() }
        if !idle.isEmpty {
            logger.debug("closed the pool", metadata: [PostgresMetadataKey.connectionCount: "\(idle.count)"])
        }
    }

    // MARK: Leasing

    func lease() async throws(PostgresError) -> LibpqConnection {
        let lease: PoolLease
        switch pool.withLock({ $0.take() }) {
        case .lease(let taken): lease = taken
        case .wait(let id): lease = try await waitForLease(id)
        case .fail(let error): throw error
        }
        if case .connection(let connection) = lease {
            if !connection.hasHeardFromServerWhileIdle { return connection }
            // The slot stays ours: the dead connection is dropped and a new one takes its place.
            logger.debug("replacing a connection the server closed while idle", metadata: [PostgresMetadataKey.connectionID: "\(connection.id)"])
        }
        do {
            return try await openConnection()
        } catch {
            pool.withLock { $0.discard() }?.perform()
            throw error
        }
    }

    func release(_ connection: LibpqConnection) {
        guard !connection.isBroken, connection.isIdle else {
            // Dropping it closes it; the server rolls back whatever transaction was left open.
            logger.debug("dropping a connection", metadata: [
                PostgresMetadataKey.connectionID: "\(connection.id)",
                PostgresMetadataKey.reason: connection.isBroken ? "broken" : "left inside a transaction",
            ])
            pool.withLock { $0.discard() }?.perform()
            return
        }
        let (resumption, closing) = pool.withLock { $0.release(connection) }
        resumption?.perform()
        _ = closing
    }

    private func waitForLease(_ id: Int) async throws(PostgresError) -> PoolLease {
        let timeout = configuration.acquireTimeout
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return }
                self.abandonWait(id, PostgresError(.poolTimeout, message: "no connection became free within \(timeout)"))
            }
            let result = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: LeaseContinuation) in
                    if let ready = pool.withLock({ $0.park(id, continuation) }) {
                        continuation.resume(returning: ready)
                    }
                }
            } onCancel: {
                abandonWait(id, PostgresError(.cancelled, message: "the task was cancelled while waiting for a connection"))
            }
            group.cancelAll()
            return result
        }
        return try result.get()
    }

    private func abandonWait(_ id: Int, _ error: PostgresError) {
        pool.withLock { $0.abandon(id, with: error) }?.perform()
    }

    private func openConnection() async throws(PostgresError) -> LibpqConnection {
        let id = lastConnectionID.add(1, ordering: .relaxed).newValue
        let connection = try await LibpqConnection.connect(id: id, parameters: configuration.connectionParameters)
        if let timeout = configuration.statementTimeoutMilliseconds {
            _ = try await connection.execute("SELECT set_config('statement_timeout', \(String(timeout)), false)")
        }
        logger.debug("opened a connection", metadata: [PostgresMetadataKey.connectionID: "\(id)"])
        return connection
    }
}

extension PostgresClient: Service {
    /// Keeps the pool open until graceful shutdown, then closes it. In a `ServiceGroup`, list the
    /// client before the services that use it, so that it stops after them.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }
}

/// The logging metadata keys of this library, in one place.
enum PostgresMetadataKey {
    static let connectionID = "postgres.connection.id"
    static let connectionCount = "postgres.connection.count"
    static let errorCode = "postgres.error.code"
    static let attempt = "postgres.attempt"
    static let reason = "postgres.reason"
    static let schema = "postgres.schema"
    static let migration = "postgres.migration"
}
