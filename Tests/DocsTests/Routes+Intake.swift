import ServiceKit
@testable import Intake

extension ServiceRoutes {
    static func intake() async throws -> Set<String> {
        try await capture(.intake) { runtime in
            let settings = try IntakeSettings(region: runtime.configuration.region, environment: EnvironmentVariables([:]))
            _ = try await Intake.buildApplication(runtime: runtime, settings: settings)
        }
    }
}
