import Foundation
import Kafka
@testable import Messaging
import MetricsTestKit
import Postgres
import TestSupport
import Testing

@Suite("replay after the broker lost everything")
struct ReplayRestartTests {
    @Test("after Tansu restarts empty, topics are recreated and a replay brings the consumer to the same state, with no effect twice")
    func replayAfterBrokerLoss() async throws {
        let fixture = try await MessagingFixture()
        let events = try (0..<60).map { try fixture.event(key: "130100-20261123-\(String(format: "%06d", $0 % 6 + 1))", sequence: $0) }
        try await fixture.record(events)
        let group = TestInfrastructure.uniqueName("group")
        let before = try await running([fixture.producer, fixture.publisher(), try fixture.consumer(group: group)]) {
            try await fixture.waitForEffects(60)
        }
        #expect(before.count == 60)

        try await LocalInfrastructure.stop(.tansu)
        try await LocalInfrastructure.start(.tansu)
        try await fixture.createTopics()
        #expect(try await OutboxReplay.markForReplay(from: .beginning, on: fixture.client) == 60)

        let metrics = TestMetrics()
        let producer = try fixture.makeProducer()
        let after = try await running([producer, fixture.publisher(producer: producer), try fixture.consumer(group: group, producer: producer, metrics: metrics)]) {
            try await waitUntil(timeout: .seconds(90)) {
                (try? metrics.expectCounter("events_duplicate_total", [("service", fixture.service)]).totalValue) == 60
            }
            return try await fixture.effects()
        }
        #expect(after == before)
        #expect(try await Outbox.backlog(on: fixture.client) == 0)
    }
}

