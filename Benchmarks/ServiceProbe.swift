import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The running services as an operator watches them: each one's resident memory (VmRSS in
/// /proc/<pid>/status) and, from its /metrics, its consumer lag (librdkafka's statistics, summed
/// over its partitions) and its outbox backlog.
struct ServiceProbe: Sendable {
    static let services = ["intake", "relay", "approval", "seal", "evaluation"]

    /// PIDs from the folder Scripts/lib/services.sh writes them to (`<service>.pid`); read afresh
    /// each time, since the fault tests restart services.
    let pidDirectory: String
    let http: HTTPClient
    let urls: [String: String]

    init(pidDirectory: String, http: HTTPClient) {
        self.pidDirectory = pidDirectory
        self.http = http
        let environment = ProcessInfo.processInfo.environment
        urls = Dictionary(uniqueKeysWithValues: Self.services.compactMap { service in
            environment["TONGBAN_\(service.uppercased())_URL"].map { (service, $0) }
        })
    }

    func pid(of service: String) -> Int32? {
        guard let text = try? String(contentsOfFile: "\(pidDirectory)/\(service).pid", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Resident memory in megabytes (2^20 bytes), nil when the process is not there.
    func residentMegabytes(of service: String) -> Double? {
        guard let pid = pid(of: service),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return nil }
        return kilobytes / 1024
    }

    /// CPU seconds (user + system) the service's process has used so far.
    func cpuSeconds(of service: String) -> Double? {
        guard let pid = pid(of: service),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func memory() -> [String: Double] {
        Dictionary(uniqueKeysWithValues: Self.services.compactMap { service in residentMegabytes(of: service).map { (service, $0) } })
    }

    /// The sums of a service's `kafka_consumer_lag_messages` and `outbox_backlog` samples.
    func lagAndBacklog(of service: String) async -> (lag: Double, backlog: Double)? {
        guard let url = urls[service] else { return nil }
        do {
            let response = try await http.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
            var lag = 0.0
            var backlog = 0.0
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
                if line.hasPrefix("kafka_consumer_lag_messages") { lag += value }
                if line.hasPrefix("outbox_backlog") { backlog += value }
            }
            return (lag, backlog)
        } catch {
            return nil
        }
    }
}

/// Samples the probe every second while a run lasts: the highest and the mean memory, lag and
/// backlog of each service.
final class ServiceSampler: Sendable {
    struct Series: Sendable {
        var peak = 0.0
        var total = 0.0
        var samples = 0

        mutating func add(_ value: Double) {
            peak = max(peak, value)
            total += value
            samples += 1
        }

        var mean: Double { samples == 0 ? 0 : total / Double(samples) }
    }

    struct Figures: Sendable {
        var memory: [String: Series] = [:]
        var lag: [String: Series] = [:]
        var backlog: [String: Series] = [:]
    }

    let probe: ServiceProbe
    private let figures = Mutex(Figures())

    init(probe: ServiceProbe) {
        self.probe = probe
    }

    /// Samples until cancelled.
    func run() async {
        while !Task.isCancelled {
            let memory = probe.memory()
            var lags: [String: (Double, Double)] = [:]
            for service in ServiceProbe.services {
                if let figures = await probe.lagAndBacklog(of: service) { lags[service] = figures }
            }
            figures.withLock { figures in
                for (service, megabytes) in memory { figures.memory[service, default: Series()].add(megabytes) }
                for (service, (lag, backlog)) in lags {
                    figures.lag[service, default: Series()].add(lag)
                    figures.backlog[service, default: Series()].add(backlog)
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    var result: Figures { figures.withLock { $0 } }
}
