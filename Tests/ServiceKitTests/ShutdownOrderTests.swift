import Hummingbird
import Logging
import ServiceKit
import ServiceLifecycle
import Synchronization
import Testing

/// Stands in for the database pool, the producer and the consumers: records when it starts and stops.
private struct RecordingService: Service {
    let name: String
    let events: EventLog

    func run() async throws {
        events.record("\(name) started")
        try? await gracefulShutdown()
        events.record("\(name) stopped")
    }
}

private final class EventLog: Sendable {
    private let events = Mutex<[String]>([])
    func record(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
}

@Suite("graceful shutdown")
struct ShutdownOrderTests {
    @Test("services given as database → producer → consumers stop in reverse order")
    func order() async throws {
        let events = EventLog()
        let runtime = try await KitApplication().runtime()
        let app = buildServiceApplication(
            runtime: runtime,
            services: ["database", "producer", "consumers"].map { RecordingService(name: $0, events: events) }
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while events.all.count < 3 { try await Task.sleep(for: .milliseconds(20)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // ServiceGroup starts them together; what it promises is the order of shutdown, each waiting for the one before.
        #expect(Set(events.all.prefix(3)) == ["database started", "producer started", "consumers started"])
        #expect(Array(events.all.dropFirst(3)) == ["consumers stopped", "producer stopped", "database stopped"])
    }
}
