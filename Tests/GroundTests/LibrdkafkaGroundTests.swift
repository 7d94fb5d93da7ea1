import CRdKafka
import Foundation
import TestSupport
import Testing

/// The ground under Shared/Kafka: this process loads librdkafka 2.8 or newer (Debian 12's 2.0.2
/// cannot parse Tansu's ApiVersions reply), and its C API really produces to and consumes from Tansu.
@Suite("librdkafka against Tansu")
struct LibrdkafkaGroundTests {
    @Test("the loaded librdkafka is 2.8.0 or newer")
    func loadedVersion() {
        let version = String(cString: rd_kafka_version_str())
        let parts = version.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(parts.count >= 2, "unreadable version \(version)")
        #expect(parts.lexicographicallyPrecedes([2, 8]) == false, "librdkafka \(version) is older than 2.8.0")
        // The number in the binary agrees with the string: 0xMMmmrrpp.
        #expect(rd_kafka_version() >= 0x0208_0000)
    }

    @Test("a message produced through the C API is consumed back, in order per key")
    func produceAndConsume() throws {
        let topic = TestInfrastructure.uniqueName("ground")
        try createTopic(topic, partitions: 3)

        let keys = ["130100-A", "130100-B", "440300-C"]
        let sent = (0..<30).map { index in (key: keys[index % keys.count], value: "event \(index) of \(keys[index % keys.count])") }
        try produce(sent, to: topic)

        let received = try consume(from: topic, count: sent.count)
        #expect(Set(received.map(\.value)) == Set(sent.map(\.value)))
        for key in keys {
            #expect(received.filter { $0.key == key }.map(\.value) == sent.filter { $0.key == key }.map(\.value))
        }
    }
}

// MARK: - The C API, used as plainly as possible

/// The text in a C error buffer, up to its terminating zero.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private struct RdKafkaFailure: Error, CustomStringConvertible {
    var description: String
}

private func makeConfiguration(_ settings: [String: String]) throws -> OpaquePointer {
    let configuration = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 512)
    for (name, value) in settings.merging(["bootstrap.servers": TestInfrastructure.kafkaBootstrapServers], uniquingKeysWith: { a, _ in a }) {
        guard rd_kafka_conf_set(configuration, name, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
            rd_kafka_conf_destroy(configuration)
            throw RdKafkaFailure(description: "\(name): \(text(errorText))")
        }
    }
    return configuration
}

private func makeClient(_ type: rd_kafka_type_t, _ configuration: OpaquePointer) throws -> OpaquePointer {
    var errorText = [CChar](repeating: 0, count: 512)
    guard let client = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(configuration)
        throw RdKafkaFailure(description: text(errorText))
    }
    return client
}

private func createTopic(_ name: String, partitions: Int32) throws {
    let client = try makeClient(RD_KAFKA_PRODUCER, try makeConfiguration([:]))
    defer { rd_kafka_destroy(client) }
    var errorText = [CChar](repeating: 0, count: 512)
    var newTopic: OpaquePointer? = rd_kafka_NewTopic_new(name, partitions, 1, &errorText, errorText.count)
    defer { rd_kafka_NewTopic_destroy(newTopic) }
    let queue = rd_kafka_queue_new(client)
    defer { rd_kafka_queue_destroy(queue) }
    rd_kafka_CreateTopics(client, &newTopic, 1, nil, queue)
    guard let event = rd_kafka_queue_poll(queue, 15_000) else { throw RdKafkaFailure(description: "CreateTopics timed out") }
    defer { rd_kafka_event_destroy(event) }
    var count = 0
    let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
    guard count == 1, let result = results?[0] else { throw RdKafkaFailure(description: "CreateTopics returned \(count) results") }
    let code = rd_kafka_topic_result_error(result)
    guard code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
        throw RdKafkaFailure(description: "CreateTopics: \(String(cString: rd_kafka_err2str(code)))")
    }
}

private func produce(_ messages: [(key: String, value: String)], to topic: String) throws {
    let configuration = try makeConfiguration(["enable.idempotence": "true", "linger.ms": "5"])
    // Each message's opaque points at its own slot; the delivery report writes the broker's verdict there.
    rd_kafka_conf_set_dr_msg_cb(configuration) { _, message, _ in
        guard let message, let slot = message.pointee._private else { return }
        slot.assumingMemoryBound(to: Int32.self).pointee = message.pointee.err.rawValue
    }
    let producer = try makeClient(RD_KAFKA_PRODUCER, configuration)
    defer { rd_kafka_destroy(producer) }
    let topicHandle = rd_kafka_topic_new(producer, topic, nil)
    defer { rd_kafka_topic_destroy(topicHandle) }

    let verdicts = UnsafeMutablePointer<Int32>.allocate(capacity: messages.count)
    defer { verdicts.deallocate() }
    verdicts.initialize(repeating: Int32.min, count: messages.count)
    for (index, message) in messages.enumerated() {
        var value = Array(message.value.utf8)
        var key = Array(message.key.utf8)
        let status = rd_kafka_produce(topicHandle, -1, RD_KAFKA_MSG_F_COPY, &value, value.count, &key, key.count, verdicts + index)
        guard status == 0 else { throw RdKafkaFailure(description: "produce: \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))") }
        rd_kafka_poll(producer, 0)
    }
    guard rd_kafka_flush(producer, 15_000) == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaFailure(description: "flush timed out") }
    for index in messages.indices where verdicts[index] != RD_KAFKA_RESP_ERR_NO_ERROR.rawValue {
        throw RdKafkaFailure(description: "message \(index) not delivered: \(verdicts[index])")
    }
}

private func consume(from topic: String, count: Int) throws -> [(key: String, value: String)] {
    let configuration = try makeConfiguration([
        "group.id": TestInfrastructure.uniqueName("ground-group"),
        "auto.offset.reset": "earliest",
        // Tansu holds a JoinGroup for half the session timeout: keep it short.
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
    ])
    let consumer = try makeClient(RD_KAFKA_CONSUMER, configuration)
    defer {
        rd_kafka_consumer_close(consumer)
        rd_kafka_destroy(consumer)
    }
    rd_kafka_poll_set_consumer(consumer)
    let subscription = rd_kafka_topic_partition_list_new(1)
    defer { rd_kafka_topic_partition_list_destroy(subscription) }
    rd_kafka_topic_partition_list_add(subscription, topic, -1)
    guard rd_kafka_subscribe(consumer, subscription) == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaFailure(description: "subscribe failed") }

    var received: [(key: String, value: String)] = []
    let deadline = Date().addingTimeInterval(45)
    while received.count < count, Date() < deadline {
        guard let message = rd_kafka_consumer_poll(consumer, 500) else { continue }
        defer { rd_kafka_message_destroy(message) }
        guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
        let value = String(decoding: UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.len), as: UTF8.self)
        let key = String(decoding: UnsafeRawBufferPointer(start: message.pointee.key, count: message.pointee.key_len), as: UTF8.self)
        received.append((key, value))
    }
    return received
}
