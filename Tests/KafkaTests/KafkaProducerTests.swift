import CRdKafka
import Kafka
import Synchronization
import TestSupport
import Testing

/// The producer against librdkafka's in-process mock cluster.
@Suite("Kafka producer (mock cluster)", .timeLimit(.minutes(2)))
struct KafkaProducerTests {
    @Test("sendAndAwait returns the partition and offset the broker gave; one key stays on one partition")
    func sendAndAwait() async throws {
        let cluster = try MockKafkaCluster()
        let configuration = cluster.configuration()
        let topic = TestInfrastructure.uniqueName("mock-acks")
        try cluster.createTopic(topic, partitions: 3)

        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        let reports = try await withRunning(producer) {
            var reports: [KafkaDeliveryReport] = []
            for index in 0..<3 {
                reports.append(try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "440300-X", value: "event \(index)")))
            }
            return reports
        }
        #expect(reports.allSatisfy { $0.isAcknowledged })
        #expect(Set(reports.map(\.partition)).count == 1)
        let first = try #require(reports.first?.offset)
        #expect(reports.map(\.offset) == [first, first + 1, first + 2])
        #expect(reports.allSatisfy { $0.topic == topic })
    }

    @Test("every message sent gets exactly one delivery report, in send order within its partition")
    func deliveryReports() async throws {
        let cluster = try MockKafkaCluster()
        let configuration = cluster.configuration()
        let topic = TestInfrastructure.uniqueName("mock-reports")
        try cluster.createTopic(topic, partitions: 4)

        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: testLogger)
        let count = 2000
        let (sent, reports) = try await withRunning(producer) {
            var sent: [KafkaProducerMessageID] = []
            for index in 0..<count {
                sent.append(try producer.send(KafkaProducerMessage(topic: topic, key: "case-\(index % 7)", value: "payload \(index)")))
            }
            var reports: [KafkaDeliveryReport] = []
            for await event in events {
                if case .deliveryReports(let batch) = event { reports += batch }
                if reports.count >= count { break }
            }
            return (sent, reports)
        }
        #expect(reports.count == count)
        #expect(Set(reports.map(\.id)) == Set(sent))
        #expect(reports.allSatisfy { $0.isAcknowledged })
        for partition in Set(reports.map(\.partition)) {
            let inPartition = reports.filter { $0.partition == partition }.sorted { $0.id < $1.id }
            #expect(inPartition.map(\.offset) == inPartition.map(\.offset).sorted { ($0 ?? -1) < ($1 ?? -1) })
        }
    }

    @Test("with no broker to reach, sending ends in a message-timed-out error, not a hang")
    func unreachableBroker() async throws {
        // Port 1 on loopback: nothing listens there.
        var configuration = configurationForTests(bootstrapServers: "127.0.0.1:1")
        configuration.messageTimeout = .seconds(1)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: testLogger)
        let clock = ContinuousClock()
        let started = clock.now
        let (awaited, tracked) = try await withRunning(producer) {
            let id = try producer.send(KafkaProducerMessage(topic: "tongban.intake.case-submitted.v1", key: "k", value: "v"))
            let awaited = await #expect(throws: KafkaError.self) {
                try await producer.sendAndAwait(KafkaProducerMessage(topic: "tongban.intake.case-submitted.v1", key: "k", value: "v"))
            }
            var tracked: KafkaDeliveryReport?
            for await event in events {
                if case .deliveryReports(let reports) = event, let report = reports.first(where: { $0.id == id }) {
                    tracked = report
                    break
                }
            }
            return (awaited, tracked)
        }
        #expect(clock.now - started < .seconds(15))
        let error = try #require(awaited)
        #expect(error.code == .messageTimedOut)
        #expect(error.rdKafkaCodeName == "_MSG_TIMED_OUT")
        #expect(error.isRetriable)
        #expect(!error.isFatal)
        #expect(tracked?.error?.code == .messageTimedOut)
    }

    @Test("a graceful shutdown delivers every message already sent, then refuses new ones")
    func shutdownFlushes() async throws {
        let cluster = try MockKafkaCluster()
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(200)  // so the messages are still queued when shutdown begins
        let topic = TestInfrastructure.uniqueName("mock-flush")
        try cluster.createTopic(topic, partitions: 2)

        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: testLogger)
        let running = Task { try await producer.run() }
        for index in 0..<500 {
            try producer.send(KafkaProducerMessage(topic: topic, key: "\(index)", value: "v"))
        }
        producer.triggerGracefulShutdown()
        try await running.value

        var reports: [KafkaDeliveryReport] = []
        for await event in events {  // ends because run() returned
            if case .deliveryReports(let batch) = event { reports += batch }
        }
        #expect(reports.count == 500)
        #expect(reports.allSatisfy { $0.isAcknowledged })
        let refused = #expect(throws: KafkaError.self) { try producer.send(KafkaProducerMessage(topic: topic, key: "late", value: "v")) }
        #expect(refused?.code == .shutDown)
        let refusedAwait = await #expect(throws: KafkaError.self) {
            try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "late", value: "v"))
        }
        #expect(refusedAwait?.code == .shutDown)
    }

    @Test("a fatal error (the broker refuses the idempotent producer an id) fails what waits and ends run() with it, so the service stops and is started afresh")
    func fatalErrorEndsRun() async throws {
        let cluster = try MockKafkaCluster()
        let topic = TestInfrastructure.uniqueName("mock-fatal")
        try cluster.createTopic(topic, partitions: 1)
        // InitProducerId (API key 22) refused: librdkafka treats this as fatal for an idempotent producer.
        cluster.failRequests(apiKey: 22, with: RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)

        let producer = try KafkaProducer(configuration: cluster.configuration(), logger: testLogger)
        let running = Task { try await producer.run() }
        let undelivered = await #expect(throws: KafkaError.self) {
            try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "130100-X", value: "case-submitted"))
        }
        #expect(undelivered?.code != nil)
        let ended = await #expect(throws: KafkaError.self) { try await running.value }
        #expect(ended?.isFatal == true)
        #expect(ended?.rdKafkaCodeName == "CLUSTER_AUTHORIZATION_FAILED")
        let refused = #expect(throws: KafkaError.self) { try producer.send(KafkaProducerMessage(topic: topic, key: "late", value: "v")) }
        #expect(refused?.code == .shutDown)
    }

    @Test("keys, values and CloudEvents headers arrive as they were sent")
    func roundTrip() async throws {
        let cluster = try MockKafkaCluster()
        let configuration = cluster.configuration(group: TestInfrastructure.uniqueName("mock-group"))
        let topic = TestInfrastructure.uniqueName("mock-roundtrip")
        try cluster.createTopic(topic, partitions: 1)

        let headers = [
            KafkaHeader(key: "ce_id", value: "0b6f3a52-8d1e-4a57-9a0f-2f1c2d9e7c11"),
            KafkaHeader(key: "ce_source", value: "/tongban/intake"),
            KafkaHeader(key: "ce_type", value: "tongban.intake.case-submitted.v1"),
            KafkaHeader(key: "ce_specversion", value: "1.0"),
            KafkaHeader(key: "ce_time", value: "2026-11-23T09:30:00Z"),
            KafkaHeader(key: "content-type", value: "application/json"),
            KafkaHeader(key: "null-valued", value: nil),
        ]
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        let report = try await withRunning(producer) {
            try await producer.sendAndAwait(
                KafkaProducerMessage(topic: topic, key: "130100-20261123-000042", value: #"{"matter":"食品经营许可"}"#, headers: headers)
            )
        }

        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let received = try await withRunning(consumer) { try await collect(consumer.messages, count: 1) }
        let message = try #require(received.first)
        #expect(message.keyString == "130100-20261123-000042")
        #expect(message.valueString == #"{"matter":"食品经营许可"}"#)
        #expect(message.headers == headers)
        #expect(message.headers.value(forKey: "ce_type") == "tongban.intake.case-submitted.v1")
        #expect(message.offset == report.offset)
        #expect(message.partition == report.partition)
        #expect(message.timestampMilliseconds != nil)
    }
}
