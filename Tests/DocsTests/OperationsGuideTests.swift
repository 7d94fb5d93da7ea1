import Foundation
import Testing

/// Docs/operations.md tells operators which metrics to watch; the names must be the ones the
/// services export at /metrics, and every metric they export must be explained there.
@Suite("Docs/operations.md")
struct OperationsGuideTests {
    /// Every metric the code makes: `Counter(label: "…")`, `Gauge(label:)`, `Timer(label:)`, …
    static func metricsInCode() throws -> Set<String> {
        var names: Set<String> = []
        for base in ["Services", "Shared"] {
            for path in Repository.files(under: base, extensions: [".swift"]) {
                for match in try Repository.swiftCode(path).matches(of: /(?:Counter|Gauge|Timer|Recorder|Meter)\(\s*label: "([a-z_]+)"/) {
                    names.insert(String(match.output.1))
                }
            }
        }
        return names
    }

    /// The first column of the table in the section "## The signals".
    static func documentedMetrics() throws -> Set<String> {
        let guide = try Repository.text("Docs/operations.md")
        guard let start = guide.range(of: "## The signals") else { return [] }
        let section = guide[start.upperBound...]
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        var names: Set<String> = []
        for line in section[..<end].split(separator: "\n") where line.hasPrefix("| `") {
            if let cell = line.split(separator: "|").first {
                for match in cell.matches(of: /`([a-z_]+)`/) { names.insert(String(match.output.1)) }
            }
        }
        return names
    }

    @Test("the metrics table names exactly the metrics the services export")
    func metricsAreTheExportedOnes() throws {
        let code = try Self.metricsInCode()
        let documented = try Self.documentedMetrics()
        #expect(code.contains("kafka_consumer_lag_messages") && code.contains("outbox_backlog"), "the scan found \(code.sorted())")
        #expect(code.subtracting(documented).isEmpty, "exported but not explained in Docs/operations.md: \(code.subtracting(documented).sorted())")
        #expect(documented.subtracting(code).isEmpty, "explained in Docs/operations.md but no service exports it: \(documented.subtracting(code).sorted())")
    }
}
