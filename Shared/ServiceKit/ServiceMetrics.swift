import Metrics
public import Prometheus

/// The service's metrics registry, rendered at GET /metrics. Executables also bootstrap
/// swift-metrics with `factory`, so what the shared libraries record lands here too.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
    }

    func recordRequest(method: String, route: String, status: String, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", status)]
        Counter(label: "http_requests_total", dimensions: dimensions, factory: factory).increment()
        Metrics.Timer(label: "http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// The Prometheus text exposition of everything recorded.
    public func exposition() -> String {
        registry.emitToString()
    }
}
