import Crypto
import Foundation
import ServiceKit
import Signing

/// What seal reads from its environment beyond every service's configuration.
struct SealSettings: Sendable {
    /// Wraps the seal keys' private halves in seal's schema (AES-256-GCM). Never logged.
    var keyEncryptionKey: KeyEncryptionKey
    /// Where people and verifiers reach seal: licences' issuer, verification and status-list URLs.
    var publicURL: String
    /// The approval bureau whose seal this is (行政审批局), as printed on licences.
    var bureauName: String
    /// How long a status list credential may be cached before a verifier fetches it again.
    var statusListTimeToLive: Duration

    static let keyEncryptionKeyVariable = "TONGBAN_SEAL_KEY_ENCRYPTION_KEY"

    init(keyEncryptionKey: KeyEncryptionKey, publicURL: String, bureauName: String, statusListTimeToLive: Duration = .seconds(300)) {
        self.keyEncryptionKey = keyEncryptionKey
        self.publicURL = publicURL
        self.bureauName = bureauName
        self.statusListTimeToLive = statusListTimeToLive
    }

    /// There is no default key encryption key: a seal whose private keys anyone could unwrap is no seal.
    init(region: String, environment: EnvironmentVariables = .process) throws(ConfigurationError) {
        guard let encoded = environment.values[Self.keyEncryptionKeyVariable] else {
            throw ConfigurationError(
                variable: Self.keyEncryptionKeyVariable,
                problem: "is not set; give seal 32 random bytes, base64 (e.g. `openssl rand -base64 32`), to encrypt its seal keys"
            )
        }
        do {
            keyEncryptionKey = try KeyEncryptionKey(encoded: encoded)
        } catch {
            throw ConfigurationError(variable: Self.keyEncryptionKeyVariable, problem: "must be 32 bytes, base64 or base64url")
        }
        var url = try environment.string("TONGBAN_SEAL_PUBLIC_URL", default: "http://127.0.0.1:\(ServiceName.seal.defaultHTTPPort)")
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme), parsed.host != nil else {
            throw ConfigurationError(variable: "TONGBAN_SEAL_PUBLIC_URL", problem: "'\(url)' is not an http(s) URL")
        }
        publicURL = url
        bureauName = try environment.string("TONGBAN_SEAL_BUREAU_NAME", default: Self.defaultBureauName(region: region))
        statusListTimeToLive = .seconds(try environment.integer("TONGBAN_SEAL_STATUS_LIST_TTL_SECONDS", default: 300, in: 1...86400))
    }

    /// The bureaus Tongban knows by code; elsewhere the operator names it.
    static func defaultBureauName(region: String) -> String {
        ["130100": "石家庄市行政审批局", "110000": "北京市政务服务管理局", "110100": "北京市政务服务管理局", "440300": "深圳市政务服务数据管理局"][region]
            ?? "\(region) 行政审批局"
    }
}

/// The key that wraps seal keys at rest. Its bytes never leave this type.
struct KeyEncryptionKey: Sendable {
    private let key: SymmetricKey

    struct Invalid: Error {}

    init(encoded: String) throws(Invalid) {
        let text = encoded.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text).map(Array.init) ?? Base64URL.decode(text), bytes.count == 32 else { throw Invalid() }
        key = SymmetricKey(data: bytes)
    }

    init(key: SymmetricKey) {
        self.key = key
    }

    static func generate() -> KeyEncryptionKey {
        KeyEncryptionKey(key: SymmetricKey(size: .bits256))
    }

    /// AES-GCM's nonce, ciphertext and tag together; `context` (the key id and bureau) is
    /// authenticated, so a wrapped key copied to another row does not unwrap.
    func seal(_ plaintext: some DataProtocol, context: String) throws -> [UInt8] {
        Array(try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8)).combined!)
    }

    func open(_ sealed: [UInt8], context: String) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Data(context.utf8))
    }
}

extension KeyEncryptionKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    // Whatever interpolates or dumps it, the key's bytes do not come out.
    var description: String { "KeyEncryptionKey(redacted)" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: []) }
}
