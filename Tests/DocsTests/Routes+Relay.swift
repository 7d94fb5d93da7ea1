import Crypto
import Domain
import Foundation
import ServiceKit
import TestSupport
@testable import Relay

extension ServiceRoutes {
    /// The relay with a signing key of its own and no partners yet.
    static func relay() async throws -> Set<String> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("relay-routes"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appendingPathComponent("relay-signing-key.jwk").path
        let partnersFile = folder.appendingPathComponent("partners.json").path
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data(RelaySigningKey(keyID: "130100-relay-routes", privateKey: .init()).privateJWK.utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: partnersFile, contents: Data(#"{"partners": []}"#.utf8))
        let environment = ["TONGBAN_RELAY_SIGNING_KEY_FILE": keyFile, "TONGBAN_RELAY_PARTNERS_FILE": partnersFile]
        return try await capture(.relay, environment: environment) { runtime in
            let configuration = try RelaySettings(environment: EnvironmentVariables(environment), homeRegion: runtime.configuration.region.value)
            _ = try await Relay.buildApplication(runtime: runtime, relay: configuration)
        }
    }
}
