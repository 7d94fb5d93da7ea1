import Domain
import Foundation
import ServiceKit
@testable import Seal

extension ServiceRoutes {
    static func seal() async throws -> Set<String> {
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        return try await capture(.seal) { runtime in
            let configuration = try SealSettings(region: runtime.configuration.region.value, environment: EnvironmentVariables(["TONGBAN_SEAL_KEY_ENCRYPTION_KEY": key]))
            _ = try await Seal.buildApplication(runtime: runtime, seal: configuration)
        }
    }
}
