import Logging
import Plumbing
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Seal's background work: makes sure the bureau has a seal key — retrying while the database is
/// unreachable, so that HTTP answers /healthz meanwhile and /readyz says why it is not ready — then
/// runs the outbox publisher and the consumer until shutdown. The schema is migrated at start-up,
/// as every service's is (buildApplication).
final class SealWorkers: Service, ReadinessCheck {
    let runtime: ServiceRuntime
    let workflow: SealWorkflow
    let services: [any Service]
    private let started = Mutex(false)

    init(runtime: ServiceRuntime, workflow: SealWorkflow, services: [any Service]) {
        self.runtime = runtime
        self.workflow = workflow
        self.services = services
    }

    var name: String { "seal-key" }

    struct NotStarted: Error, CustomStringConvertible {
        var description: String { "the seal key is not loaded yet" }
    }

    func check() async throws {
        guard started.withLock({ $0 }) else { throw NotStarted() }
    }

    func run() async throws {
        // A graceful shutdown cancels the retries, waits included.
        let (runtime, workflow) = (runtime, workflow)
        let ready: Void? = await cancelWhenGracefulShutdown {
            await retryUntilSuccess(backoff: Backoff(first: .milliseconds(200)), failed: { error, _ in
                runtime.logger.warning("seal cannot start its work yet; retrying", metadata: ["error": "\(error)"])
            }) {
                try await workflow.ensureSigningKey()
            }
        }
        guard ready != nil else { return }
        started.withLock { $0 = true }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            // Each stops by itself on graceful shutdown; a failing one takes the others down.
            try await group.waitForAll()
        }
    }
}
