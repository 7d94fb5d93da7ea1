import CRdKafka
import Plumbing

extension RDKafkaClient {
    /// Creates topics and waits for the broker's answer; a topic that exists already is not an
    /// error. Returns the names of the topics this call created. Blocks.
    func createTopics(_ specifications: [KafkaTopicSpecification], timeoutMilliseconds: Int32) throws(KafkaError) -> Set<String> {
        guard !specifications.isEmpty else { return [] }
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        var errorText = [CChar](repeating: 0, count: 512)
        for specification in specifications {
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    specification.name,
                    Int32(clamping: specification.partitions),
                    Int32(clamping: specification.replicationFactor ?? -1),
                    &errorText,
                    errorText.count
                )
            else {
                throw KafkaError(.adminFailed, "topic \(specification.name): \(cText(errorText))")
            }
            newTopics.append(newTopic)
            for (name, value) in specification.configs.sorted(by: { $0.key < $1.key }) {
                let result = rd_kafka_NewTopic_set_config(newTopic, name, value)
                guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(.adminFailed, rdKafka: result, "topic \(specification.name) config \(name)")
                }
            }
        }

        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        newTopics.withUnsafeMutableBufferPointer { topics in
            rd_kafka_CreateTopics(handle, topics.baseAddress, topics.count, options, queue)
        }
        // The request times out by itself; the extra second is for the result to reach the queue.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(.timedOut, "CreateTopics got no answer", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.adminFailed, rdKafka: eventError, "CreateTopics: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count) else {
            throw KafkaError(.adminFailed, "CreateTopics returned no results")
        }
        var created: Set<String> = []
        for index in 0..<count {
            guard let result = results[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(result))
            let error = rd_kafka_topic_result_error(result)
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                created.insert(name)
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                break
            default:
                let detail = rd_kafka_topic_result_error_string(result).map { String(cString: $0) } ?? ""
                throw KafkaError(.adminFailed, rdKafka: error, "create topic \(name): \(detail)")
            }
        }
        return created
    }

    /// Every topic the cluster knows, with its partitions. Blocks.
    func topics(timeoutMilliseconds: Int32) throws(KafkaError) -> [KafkaTopicDescription] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(.adminFailed, rdKafka: result, "metadata")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        return topics.compactMap { topic in
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            let partitions = UnsafeBufferPointer(start: topic.partitions, count: Int(topic.partition_cnt))
            return KafkaTopicDescription(
                name: String(cString: topic.topic),
                partitions: partitions.map { partition in
                    KafkaTopicDescription.Partition(
                        id: Int(partition.id),
                        leader: Int(partition.leader),
                        replicas: UnsafeBufferPointer(start: partition.replicas, count: Int(partition.replica_cnt)).map { Int($0) }
                    )
                }
                .sorted { $0.id < $1.id }
            )
        }
        .sorted { $0.name < $1.name }
    }
}
