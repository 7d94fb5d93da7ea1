public import Logging

/// Runs `pass` again and again until the task is cancelled: a service's worker loop (an outbox
/// publisher, a delivery loop, a scanner, housekeeping). After a pass that did work (returned true)
/// the next starts at once; after one that found nothing to do, after `idle`; after one that
/// failed, the failure is logged as `failure` and the next waits out a growing `backoff`.
public func repeatUntilCancelled(
    idle: Duration,
    backoff: Backoff = Backoff(first: .seconds(1), ceiling: .seconds(1)),
    logger: Logger,
    failure: Logger.Message,
    _ pass: () async throws -> Bool
) async {
    var backoff = backoff
    while !Task.isCancelled {
        do {
            let didWork = try await pass()
            backoff.reset()
            if !didWork { try await Task.sleep(for: idle) }
        } catch is CancellationError {
            return
        } catch {
            logger.warning(failure, metadata: ["error": "\(error)"])
            await backoff.pause()
        }
    }
}

/// Runs `attempt` until it succeeds, waiting out a growing `backoff` after each failure, which
/// `failed` is told of (to log it); nil when the task is cancelled first.
public func retryUntilSuccess<Result>(
    backoff: Backoff = Backoff(),
    failed: (any Error, _ retryIn: Duration) -> Void,
    _ attempt: () async throws -> Result
) async -> Result? {
    var backoff = backoff
    while !Task.isCancelled {
        do {
            return try await attempt()
        } catch {
            guard !Task.isCancelled else { return nil }
            failed(error, backoff.delay)
            await backoff.pause()
        }
    }
    return nil
}
