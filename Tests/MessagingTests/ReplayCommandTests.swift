import Foundation
import TestSupport
import Testing

@Suite("tongban replay")
struct ReplayCommandTests {
    @Test("reaches the broker with the services' own TONGBAN_KAFKA_<SETTING> variables, and never prints the SASL password")
    func kafkaSettings() async throws {
        let tongban = TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path
        let password = "sasl-\(UUID().uuidString)"
        // A security protocol librdkafka does not know: replay refuses it by name, so the settings
        // reached its producer (a secured cluster's are passed the same way).
        let replay = try ChildProcess(executable: tongban, arguments: [
            "replay", "--service", "approval", "--all",
            "--database-url", "postgresql://approval:unused@127.0.0.1:1/tongban",
            "--bootstrap-servers", TestInfrastructure.kafkaBootstrapServers,
        ], environment: [
            "TONGBAN_KAFKA_SECURITY_PROTOCOL": "carrier_pigeon",
            "TONGBAN_KAFKA_SASL_USERNAME": "approval",
            "TONGBAN_KAFKA_SASL_PASSWORD": password,
        ])
        #expect(try await replay.waitForExit() != 0)
        let printed = (replay.outputLines + replay.errorLines).joined(separator: "\n")
        #expect(printed.contains("security.protocol"), "\(printed)")
        #expect(!printed.contains(password))
    }
}
