import ServiceKit
@testable import Evaluation

extension ServiceRoutes {
    static func evaluation() async throws -> Set<String> {
        try await capture(.evaluation) { runtime in
            let settings = try EvaluationSettings(region: runtime.configuration.region, environment: EnvironmentVariables([:]))
            _ = try await Evaluation.buildApplication(runtime: runtime, settings: settings)
        }
    }
}
