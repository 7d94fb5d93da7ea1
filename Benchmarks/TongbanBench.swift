import ArgumentParser

/// `tongban-bench`: throughput and latency measurements, each beside the machine's own reference
/// tool (pgbench, rdkafka_performance) run in the same invocation, because this machine is shared
/// and noisy. Run through `Scripts/benchmark.sh NAME`, which starts the infrastructure it needs.
@main
struct TongbanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongban-bench",
        abstract: "Measure Tongban's throughput beside the reference tools.",
        subcommands: [SystemBenchmark.self, TransferBenchmark.self, FaultTests.self, KafkaBenchmark.self, PostgresBenchmark.self, OutboxBenchmark.self]
    )
}
