/// A topic as the cluster's metadata describes it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public struct Partition: Sendable, Hashable {
        public var id: Int
        /// The broker leading the partition, -1 when it has none.
        public var leader: Int
        public var replicas: [Int]
    }

    public var name: String
    public var partitions: [Partition]

    public var partitionCount: Int { partitions.count }
}
