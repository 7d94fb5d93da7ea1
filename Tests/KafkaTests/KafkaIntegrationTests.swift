import Kafka
import TestSupport
import Testing

/// The wrapper against the project's Tansu broker, as the services will use it.
@Suite("Kafka against Tansu", .timeLimit(.minutes(3)))
struct KafkaIntegrationTests {
    @Test("admin creates a topic with partitions and configs; creating it again is not an error")
    func adminTopics() async throws {
        let admin = try KafkaAdmin(configuration: configurationForTests(), logger: testLogger)
        let topic = TestInfrastructure.uniqueName("tongban.test.admin")
        let created = try await admin.createTopic(topic, partitions: 6, replicationFactor: 1, configs: ["retention.ms": "604800000"])
        #expect(created)
        let again = try await admin.createTopic(topic, partitions: 6, replicationFactor: 1)
        #expect(!again, "an existing topic is reported as not created, without an error")

        let described = try await admin.describeTopic(topic)
        #expect(described?.partitionCount == 6)
        #expect(described?.partitions.map(\.id) == Array(0..<6))
        #expect(try await admin.listTopics().contains { $0.name == topic })
        #expect(try await admin.describeTopic(TestInfrastructure.uniqueName("no-such-topic")) == nil)
    }

    @Test("each key's messages arrive in the order they were sent")
    func perKeyOrder() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.order")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("order"))
        try await createTopic(topic, partitions: 6, configuration: configuration)

        let keys = (0..<12).map { "440300-20261123-\(100_000 + $0)" }
        let sent = (0..<600).map { (key: keys[$0 % keys.count], value: "event \($0)") }
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: testLogger)
        let acknowledged = try await withRunning(producer) {
            for message in sent {
                try producer.send(KafkaProducerMessage(topic: topic, key: message.key, value: message.value))
            }
            var acknowledged = 0
            for await event in events {
                if case .deliveryReports(let reports) = event { acknowledged += reports.filter(\.isAcknowledged).count }
                if acknowledged == sent.count { break }
            }
            return acknowledged
        }
        #expect(acknowledged == sent.count)

        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let received = try await withRunning(consumer) { try await collect(consumer.messages, count: sent.count) }
        #expect(received.count == sent.count)
        for key in keys {
            let mine = received.filter { $0.keyString == key }
            #expect(mine.map(\.valueString) == sent.filter { $0.key == key }.map(\.value), "order of \(key)")
            #expect(Set(mine.map(\.partition)).count == 1, "\(key) stays on one partition")
        }
    }

    @Test("two consumers in a group split six partitions, and one takes them all when the other leaves")
    func groupSplitAndTakeover() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.group")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("split"))
        try await createTopic(topic, partitions: 6, configuration: configuration)
        let all = Set((0..<6).map { KafkaTopicPartition(topic: topic, partition: $0) })

        let first = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let second = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        try await withRunning(first) {
            let (split, secondShare) = try await withRunning(second) {
                var shares: (Set<KafkaTopicPartition>, Set<KafkaTopicPartition>) = ([], [])
                let split = try await eventually {
                    shares = (try await first.assignment(), try await second.assignment())
                    return !shares.0.isEmpty && !shares.1.isEmpty && shares.0.isDisjoint(with: shares.1) && shares.0.union(shares.1) == all
                }
                return (split, shares.1)
            }
            #expect(split, "both members hold a share, together all six, none twice")
            #expect(secondShare.count == 3, "the range assignor gives each member three of six")

            // The second consumer has left the group cleanly: the first takes over all partitions.
            let tookOver = try await eventually { try await first.assignment() == all }
            #expect(tookOver)

            // ...and reads what arrives on every one of them.
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
            try await withRunning(producer) {
                for partition in 0..<6 {
                    try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, partition: partition, key: "k\(partition)", value: "after"))
                }
            }
            let received = try await collect(first.messages, count: 6)
            #expect(Set(received.map(\.partition)) == Set(0..<6))
        }
    }

    @Test("a member that shuts down while another joins does not leave the group stuck: the newcomer gets every partition")
    func shutdownDuringRebalance() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.handover")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("handover"))
        try await createTopic(topic, partitions: 3, configuration: configuration)
        let all = Set((0..<3).map { KafkaTopicPartition(topic: topic, partition: $0) })

        // The first member leads the group and holds every partition.
        let first = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let firstRun = Task { try await first.run() }
        #expect(try await eventually { try await first.assignment() == all })

        // A second member joins, which starts a rebalance; the leader stops in the middle of it
        // (a rolling restart, or every service restarted after a broker loss).
        let second = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let tookOver = try await withRunning(second) {
            try await Task.sleep(for: .milliseconds(300))
            first.triggerGracefulShutdown()
            try await firstRun.value
            return try await eventually { try await second.assignment() == all }
        }
        #expect(tookOver, "the remaining member holds all three partitions")
    }

    @Test("a member that subscribed before its topic existed reads the topic's first record once the topic is created")
    func subscribedBeforeTheTopicExists() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.late")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("late"))
        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let received = try await withRunning(consumer) {
            // The member has asked for its topic and been told there is none, as a service's
            // consumer at a fresh start is, while its service creates the topics beside it.
            try await Task.sleep(for: .seconds(1))
            try await createTopic(topic, partitions: 6, configuration: configuration)
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
            _ = try await withRunning(producer) {
                try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, partition: 5, key: "130100-20261123-000001", value: "first"))
            }
            return try await collect(consumer.messages, count: 1, timeout: .seconds(60))
        }
        #expect(received.map(\.valueString) == ["first"])
        #expect(received.first?.partition == 5)
        #expect(received.first?.offset == 0)
    }

    @Test("committed offsets survive a consumer restart; what was not committed is read again")
    func atLeastOnce() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.commits")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("restart"))
        try await createTopic(topic, partitions: 1, configuration: configuration)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        try await withRunning(producer) {
            for index in 0..<10 {
                try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "130100-A", value: "event \(index)"))
            }
        }

        // The first consumer processes six of the ten messages and commits them, and has fetched the rest.
        let first = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let firstRead = try await withRunning(first) {
            let received = try await collect(first.messages, count: 10)
            for message in received.prefix(6) { try first.storeOffset(message) }
            try await first.commit()
            return received
        }
        #expect(firstRead.map(\.valueString) == (0..<10).map { "event \($0)" })

        // A new instance of the same group starts right after the committed six.
        let second = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let (committed, secondRead) = try await withRunning(second) {
            let committed = try await second.committedOffsets(for: [KafkaTopicPartition(topic: topic, partition: 0)])
            return (committed, try await collect(second.messages, count: 4))
        }
        #expect(committed[KafkaTopicPartition(topic: topic, partition: 0)] == firstRead[6].offset)
        #expect(secondRead.map(\.valueString) == (6..<10).map { "event \($0)" })
        #expect(secondRead.first?.offset == firstRead[6].offset)
    }

    @Test("offsets stored but not yet committed are committed when the consumer leaves")
    func commitOnLeave() async throws {
        let topic = TestInfrastructure.uniqueName("tongban.test.leave")
        let configuration = configurationForTests(group: TestInfrastructure.uniqueName("leave"))
        try await createTopic(topic, partitions: 2, configuration: configuration)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        try await withRunning(producer) {
            for index in 0..<8 {
                try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, partition: index % 2, key: "k", value: "\(index)"))
            }
        }

        let first = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let processed = try await withRunning(first) {
            let received = try await collect(first.messages, count: 8)
            // Process (store) the first two of each partition, never call commit().
            let processed = Dictionary(grouping: received, by: \.partition).mapValues { Array($0.prefix(2)) }
            for message in processed.values.joined() { try first.storeOffset(message) }
            return processed
        }
        #expect(processed.values.map(\.count) == [2, 2])

        let second = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let committed = try await withRunning(second) {
            try await second.committedOffsets(for: (0..<2).map { KafkaTopicPartition(topic: topic, partition: $0) })
        }
        for (partition, messages) in processed {
            #expect(committed[KafkaTopicPartition(topic: topic, partition: partition)] == messages[1].offset + 1)
        }
    }
}
