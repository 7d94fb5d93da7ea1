import Kafka
import TestSupport
import Testing

/// Stops the broker under a producer. Runs alone (the type name ends in RestartTests): every other
/// test needs the broker. Tansu loses its topics on restart, which no later test relies on.
@Suite("Kafka producer with the broker stopped", .serialized, .timeLimit(.minutes(2)))
struct ProducerRestartTests {
    @Test("sending while the broker is down ends in a typed error after the message timeout, not a hang")
    func brokerStopped() async throws {
        var configuration = configurationForTests()
        configuration.messageTimeout = .seconds(3)
        let topic = TestInfrastructure.uniqueName("tongban.test.down")
        try await createTopic(topic, partitions: 1, configuration: configuration)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: testLogger)

        let clock = ContinuousClock()
        try await withRunning(producer) {
            // Delivered while the broker is there: the producer is connected and knows the topic.
            #expect(try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "k", value: "before")).isAcknowledged)

            try await LocalInfrastructure.stop(.tansu)
            do {
                let stoppedAt = clock.now
                let tracked = try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: "tracked"))
                let awaited = await #expect(throws: KafkaError.self) {
                    try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "k", value: "awaited"))
                }
                #expect(clock.now - stoppedAt < .seconds(30))
                #expect(awaited?.code == .messageTimedOut)
                #expect(awaited?.isRetriable == true)

                var trackedReport: KafkaDeliveryReport?
                for await event in events {
                    if case .deliveryReports(let reports) = event, let report = reports.first(where: { $0.id == tracked }) {
                        trackedReport = report
                        break
                    }
                }
                #expect(trackedReport?.error?.code == .messageTimedOut)
            } catch {
                try await LocalInfrastructure.start(.tansu)
                throw error
            }
            try await LocalInfrastructure.start(.tansu)
        }
    }
}
