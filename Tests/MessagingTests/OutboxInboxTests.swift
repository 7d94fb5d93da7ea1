import Foundation
import Kafka
@testable import Messaging
import MetricsTestKit
import Postgres
import TestSupport
import Testing

@Suite("outbox, publisher and inbox against Tansu and PostgreSQL")
struct OutboxInboxTests {
    @Test("an event committed before its publisher died is still delivered, and applied once though sent twice")
    func publisherDiesBetweenCommitAndSend() async throws {
        let fixture = try await MessagingFixture()
        let events = try (1...20).map { try fixture.event(key: "130100-20261123-\(String(format: "%06d", $0 % 4 + 1))", sequence: $0) }
        try await fixture.record(events)

        let consumer = try fixture.consumer(group: TestInfrastructure.uniqueName("group"))
        let applied = try await running([fixture.producer]) {
            // This publisher dies after the broker took the batch but before it marked it published.
            let dying = fixture.publisher(afterSend: { throw CancellationError() })
            await #expect(throws: CancellationError.self) { try await dying.publishBatch() }
            #expect(try await Outbox.backlog(on: fixture.client) == 20)

            return try await running([fixture.publisher(), consumer]) {
                _ = try await fixture.waitForEffects(20)
                try await Task.sleep(for: .seconds(2)) // room for a wrongly applied duplicate to show
                return try await fixture.effects()
            }
        }
        #expect(applied.count == 20)
        #expect(Set(applied.map(\.eventID)) == Set(events.map(\.id)))
        #expect(try await Outbox.backlog(on: fixture.client) == 0)
        // The broker really did get every event twice.
        #expect(try await fixture.read(fixture.topic.name, count: 40).count == 40)
    }

    @Test("the same event delivered twice changes state once")
    func duplicateDelivery() async throws {
        let fixture = try await MessagingFixture()
        let event = try fixture.event(key: "130100-20261123-000007", sequence: 1)
        let message = KafkaProducerMessage(topic: fixture.topic.name, key: Array(event.key.utf8), value: event.data, headers: event.headers.map { KafkaHeader(key: $0.name, value: $0.value) })
        let metrics = TestMetrics()
        let consumer = try fixture.consumer(group: TestInfrastructure.uniqueName("group"), metrics: metrics)
        let applied = try await running([fixture.producer, consumer]) {
            _ = try await fixture.producer.sendAndAwait(message)
            _ = try await fixture.producer.sendAndAwait(message)
            try await waitUntil { (try? metrics.expectCounter("events_duplicate_total", [("service", fixture.service)]).totalValue) == 1 }
            return try await fixture.effects()
        }
        #expect(applied.count == 1)
    }

    @Test("a poison message goes to the dead-letter topic with its reason, and the next message on its partition is applied", arguments: ["no envelope", "wrong payload", "unknown reference"])
    func poisonMessage(kind: String) async throws {
        let fixture = try await MessagingFixture()
        let key = "130100-20261123-000009"
        let poison: KafkaProducerMessage
        let reason: String
        switch kind {
        case "no envelope":
            poison = KafkaProducerMessage(topic: fixture.topic.name, key: key, value: "<not an event/>")
            reason = "header ce_specversion is missing"
        case "wrong payload":
            let event = Envelope(source: "/tongban/130100/x", type: fixture.topic.eventType, key: key, data: Array(#"{"sequence":"first"}"#.utf8))
            poison = KafkaProducerMessage(topic: fixture.topic.name, key: Array(key.utf8), value: event.data, headers: event.headers.map { KafkaHeader(key: $0.name, value: $0.value) })
            reason = "invalid payload: sequence has the wrong type"
        default:
            let event = try fixture.event(key: key, sequence: -1)
            poison = KafkaProducerMessage(topic: fixture.topic.name, key: Array(key.utf8), value: event.data, headers: event.headers.map { KafkaHeader(key: $0.name, value: $0.value) })
            reason = "step -1 of \(key) refers to nothing"
        }
        let next = try fixture.event(key: key, sequence: 2)
        try await fixture.record([next])
        let consumer = try fixture.consumer(group: TestInfrastructure.uniqueName("group"))
        let applied = try await running([fixture.producer, consumer]) {
            _ = try await fixture.producer.sendAndAwait(poison)
            _ = try await drain(fixture.publisher(), fixture)
            return try await fixture.waitForEffects(1)
        }
        #expect(applied.map(\.eventID) == [next.id])
        let letters = try await fixture.read(Topic.deadLetters(of: fixture.service).name, count: 1)
        try #require(letters.count == 1)
        #expect(letters[0].value == poison.value)
        #expect(letters[0].key == poison.key)
        #expect(letters[0].headers.value(forKey: "dlq_reason") == reason)
        #expect(letters[0].headers.value(forKey: "dlq_topic") == fixture.topic.name)
    }

    @Test("a backlog fetched as one batch is applied once and in order per case, though one event in the middle can never be applied")
    func batchWithPoisonInTheMiddle() async throws {
        let fixture = try await MessagingFixture()
        let stuck = "130100-20261123-000011", other = "130100-20261123-000012"
        // The whole backlog is on the broker before the consumer starts, so its first fetch takes it
        // together: the events of one case share a lane and, normally, a transaction.
        let before = try [1, 2].map { try fixture.event(key: stuck, sequence: $0) } + [1, 2, 3].map { try fixture.event(key: other, sequence: $0) }
        let poison = try fixture.event(key: stuck, sequence: -1)
        let after = try [3, 4].map { try fixture.event(key: stuck, sequence: $0) }
        let metrics = TestMetrics()
        let consumer = try fixture.consumer(group: TestInfrastructure.uniqueName("group"), metrics: metrics)
        let applied = try await running([fixture.producer]) {
            try await fixture.record(before)
            _ = try await drain(fixture.publisher(), fixture)
            _ = try await fixture.producer.sendAndAwait(KafkaProducerMessage(
                topic: fixture.topic.name, key: Array(poison.key.utf8), value: poison.data,
                headers: poison.headers.map { KafkaHeader(key: $0.name, value: $0.value) }))
            try await fixture.record(after)
            _ = try await drain(fixture.publisher(), fixture)
            return try await running([consumer]) {
                _ = try await fixture.waitForEffects(7)
                try await Task.sleep(for: .seconds(1)) // room for an event applied twice to show
                return try await fixture.effects()
            }
        }
        #expect(applied.count == 7)
        #expect(Set(applied.map(\.eventID)) == Set((before + after).map(\.id)))
        #expect(applied.filter { $0.key == stuck }.map(\.sequence) == [1, 2, 3, 4])
        #expect(applied.filter { $0.key == other }.map(\.sequence) == [1, 2, 3])
        #expect(try metrics.expectCounter("events_applied_total", [("service", fixture.service)]).totalValue == 7)
        let letters = try await fixture.read(Topic.deadLetters(of: fixture.service).name, count: 1)
        #expect(letters.map { $0.headers.value(forKey: "ce_id") } == [poison.id])
    }

    @Test("two publishers on one outbox send every event exactly once between them, each case in order")
    func twoPublishers() async throws {
        let fixture = try await MessagingFixture()
        let keys = (1...40).map { "130100-20261123-\(String(format: "%06d", $0))" }
        let events = try (0..<1200).map { try fixture.event(key: keys[$0 % keys.count], sequence: $0) }
        for chunk in stride(from: 0, to: events.count, by: 200) {
            try await fixture.record(Array(events[chunk..<min(chunk + 200, events.count)]))
        }
        let first = fixture.publisher(), second = fixture.publisher()
        let moved = try await running([fixture.producer]) {
            async let a = drain(first, fixture)
            async let b = drain(second, fixture)
            return try await (a, b)
        }
        #expect(moved.0 + moved.1 == 1200)
        #expect(moved.0 > 0 && moved.1 > 0, "both publishers took part: \(moved)")
        let sent = try await fixture.read(fixture.topic.name, count: 1200, timeout: .seconds(30))
        let ids = sent.compactMap { $0.headers.value(forKey: "ce_id") }
        #expect(ids.count == 1200)
        #expect(Set(ids) == Set(events.map(\.id)))
        for key in keys {
            let sequences = sent.filter { $0.keyString == key }.map { try! JSONDecoder().decode(Step.self, from: Data($0.value)).sequence }
            #expect(sequences == sequences.sorted(), "\(key) out of order")
        }
    }
}

/// Publishes until the outbox is empty; returns how many events this publisher moved.
func drain(_ publisher: OutboxPublisher, _ fixture: MessagingFixture) async throws -> Int {
    var moved = 0
    while try await Outbox.backlog(on: fixture.client) > 0 {
        let count = try await publisher.publishBatch()
        moved += count
        if count == 0 { try await Task.sleep(for: .milliseconds(5)) }
    }
    return moved
}

func waitUntil(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("condition not met within \(timeout)")
}
