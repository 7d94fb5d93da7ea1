import ServiceKit
@testable import Approval

extension ServiceRoutes {
    static func approval() async throws -> Set<String> {
        try await capture(.approval) { runtime in
            _ = try await Approval.buildApplication(runtime: runtime, environment: EnvironmentVariables([:]))
        }
    }
}
