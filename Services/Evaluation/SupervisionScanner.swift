import Foundation
import Logging
import Plumbing
import Postgres
import ServiceLifecycle

/// Lights change with time, not only with events: every `interval` the scanner reads again each open
/// clock whose next change is due, and each rectification past its deadline. Several instances share
/// the work through row locks (SKIP LOCKED); the alerts' unique key keeps each change raised once.
struct SupervisionScanner: Service {
    let database: PostgresClient
    let alerts: AlertDesk
    let interval: Duration
    let logger: Logger
    static let batchSize = 100

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await repeatUntilCancelled(idle: interval, backoff: Backoff(first: interval, ceiling: interval),
                                       logger: logger, failure: "supervision scan failed; trying again") {
                try await scan()
                return false
            }
        }
    }

    /// One pass over what is due now.
    func scan() async throws {
        let now = alerts.settings.now()
        while !Task.isCancelled {
            let full = try await database.withTransaction { connection in
                let due = try await connection.query("""
                    SELECT task_id FROM tasks WHERE next_check_at <= \(now)
                    ORDER BY next_check_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                    """).decode(String.self)
                for task in due {
                    try await alerts.review(task: task, on: connection)
                }
                return due.count == Self.batchSize
            }
            if !full { break }
        }
        while !Task.isCancelled {
            let full = try await database.withTransaction { connection in
                let overdue = try await connection.query("""
                    SELECT rectification_id FROM rectifications
                    WHERE NOT overdue AND acted_at IS NULL AND closed_at IS NULL AND due_at < \(now)
                    ORDER BY due_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                    """).decode(String.self)
                for id in overdue {
                    try await alerts.reviewRectification(id, on: connection)
                }
                return overdue.count == Self.batchSize
            }
            if !full { break }
        }
    }
}
