import CoreMetrics
import Metrics
import Prometheus

/// The server's metrics, made through swift-metrics on a registry of its own
/// (``PrometheusCollectorRegistry``: no global bootstrap, so every server in
/// a test process has its own figures); `GET /metrics` prints it in the
/// Prometheus text format.
public final class TallyMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    let eventsAccepted: CoreMetrics.Counter
    let eventsDuplicate: CoreMetrics.Counter
    let eventsRejected: CoreMetrics.Counter
    let invoiceRuns: CoreMetrics.Counter
    let poolInUse: CoreMetrics.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        self.factory = factory
        eventsAccepted = CoreMetrics.Counter(label: "tally_usage_events_total", dimensions: [("result", "accepted")], factory: factory)
        eventsDuplicate = CoreMetrics.Counter(label: "tally_usage_events_total", dimensions: [("result", "duplicate")], factory: factory)
        eventsRejected = CoreMetrics.Counter(label: "tally_usage_events_total", dimensions: [("result", "rejected")], factory: factory)
        invoiceRuns = CoreMetrics.Counter(label: "tally_invoice_runs_total", factory: factory)
        poolInUse = CoreMetrics.Gauge(label: "tally_db_pool_connections_in_use", factory: factory)
    }

    /// Counts a request of `route` (its pattern, not the concrete path: the
    /// label set stays small) and its duration.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        CoreMetrics.Counter(label: "tally_http_requests_total", dimensions: dimensions, factory: factory).increment()
        CoreMetrics.Timer(label: "tally_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts the events of one committed ingest.
    func ingested(accepted: Int, duplicate: Int, rejected: Int) {
        eventsAccepted.increment(by: accepted)
        eventsDuplicate.increment(by: duplicate)
        eventsRejected.increment(by: rejected)
    }

    func invoiceRun() {
        invoiceRuns.increment()
    }

    /// Database connections in use by requests now.
    func connectionsInUse(_ count: Int) {
        poolInUse.record(count)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String {
        registry.emitToString()
    }
}
