import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceKit
import Testing

@Suite("health route")
struct HealthRouteTests {
    @Test("GET /healthz answers 200 with the service's name", arguments: ServiceName.allCases)
    func healthz(service: ServiceName) async throws {
        let app = buildServiceApplication(runtime: try await KitApplication().runtime(service: service))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let health = try JSONDecoder().decode(HealthStatus.self, from: Data(String(buffer: response.body).utf8))
                #expect(health == HealthStatus(status: "pass", service: service.rawValue))
            }
        }
    }
}
