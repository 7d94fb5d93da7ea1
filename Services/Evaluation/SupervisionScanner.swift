import Foundation
import Logging
import Plumbing
import ServiceKit
import ServiceLifecycle

/// Lights change with time, not only with events: every `interval` the scanner reads again each open
/// clock whose next change is due, and each rectification past its deadline. Several instances share
/// the work through row locks (SKIP LOCKED); the alerts' unique key keeps each change raised once.
struct SupervisionScanner: Service {
    let workflow: EvaluationWorkflow
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

    /// One pass over what is due now, a batch per transaction.
    func scan() async throws {
        let now = workflow.settings.now()
        while !Task.isCancelled {
            let full = try await workflow.reviewDueClocks(at: now, limit: Self.batchSize)
            if !full { break }
        }
        while !Task.isCancelled {
            let full = try await workflow.reviewOverdueRectifications(at: now, limit: Self.batchSize)
            if !full { break }
        }
    }
}
