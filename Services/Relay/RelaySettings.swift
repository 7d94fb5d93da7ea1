import Crypto
import Domain
import Foundation
import Kafka
import Logging
import Messaging
import ServiceKit
import Signing
import Synchronization

/// What the relay reads from its environment beyond every service's settings: the partner
/// registry, this region's signing key and the limits of its checks. A bad value stops the relay at
/// start-up naming the variable (exit 78), like every other configuration error.
struct RelaySettings: Sendable {
    var partners: PartnerRegistry
    var signingKey: RelaySigningKey
    /// Where the two came from, to read them again while running (`RelayKeyring`).
    var partnersPath: String
    var signingKeyPath: String
    /// How far an envelope's issuedAt may lie from this relay's clock, either way.
    var clockSkew: Duration
    /// The largest inbox message taken; a larger one is quarantined unread.
    var maximumEnvelopeBytes: Int
    /// How long a partner's broker may take to acknowledge one transmission (message.timeout.ms).
    var deliveryTimeout: Duration
    /// How long to wait for a partner's receipt before sending an envelope again (doubling each time).
    var receiptTimeout: Duration
    /// The longest wait between two transmissions of one envelope.
    var retryLimit: Duration
    /// How long the signed message log keeps an entry: the evidence of what either region signed.
    var logRetention: Duration
    static let defaultLogRetention: Duration = .seconds(3650 * 86_400)

    init(environment: EnvironmentVariables, homeRegion: String) throws(ConfigurationError) {
        let partnersVariable = "TONGBAN_RELAY_PARTNERS_FILE"
        guard let partnersPath = environment.values[partnersVariable] else {
            throw ConfigurationError(variable: partnersVariable, problem: "is not set; point it at the partner registry (a JSON file; {\"partners\": []} for none)")
        }
        self.partnersPath = partnersPath
        do {
            partners = try PartnerRegistry(contentsOf: partnersPath, homeRegion: homeRegion)
        } catch {
            throw ConfigurationError(variable: partnersVariable, problem: "'\(partnersPath)': \(error.description)")
        }
        let keyVariable = "TONGBAN_RELAY_SIGNING_KEY_FILE"
        guard let keyPath = environment.values[keyVariable] else {
            throw ConfigurationError(variable: keyVariable, problem: "is not set; point it at this region's private signing key (a JWK; `tongban relay keygen` makes one)")
        }
        signingKeyPath = keyPath
        do {
            signingKey = try RelaySigningKey(contentsOf: keyPath)
        } catch {
            throw ConfigurationError(variable: keyVariable, problem: "'\(keyPath)': \(error.description)")
        }
        clockSkew = .seconds(try environment.integer("TONGBAN_RELAY_CLOCK_SKEW_SECONDS", default: 300, in: 1...86_400))
        maximumEnvelopeBytes = try environment.integer("TONGBAN_RELAY_MAX_ENVELOPE_BYTES", default: Partner.defaultMaximumEnvelopeBytes, in: (16 * 1024)...(64 * 1024 * 1024))
        deliveryTimeout = .seconds(try environment.integer("TONGBAN_RELAY_DELIVERY_TIMEOUT_SECONDS", default: 30, in: 1...3600))
        receiptTimeout = .seconds(try environment.integer("TONGBAN_RELAY_RECEIPT_TIMEOUT_SECONDS", default: 30, in: 1...86_400))
        retryLimit = .seconds(try environment.integer("TONGBAN_RELAY_RETRY_LIMIT_SECONDS", default: 600, in: 1...86_400))
        logRetention = .seconds(86_400 * Int64(try environment.integer("TONGBAN_RELAY_LOG_RETENTION_DAYS", default: 3650, in: 30...36_500)))
    }
}

/// The partner registry and this region's signing key as their files say now: a partner's new key
/// is taken as soon as the registry lists it, and a key it no longer lists verifies nothing new
/// (its old envelopes stay verifiable in the message log, which keeps the keys that signed); a new
/// signing key signs from the next transmission on. Each read compares the file with what was
/// read last — a small file, beside a database transaction per envelope. A file that no longer
/// reads (a half-written edit) leaves the last good one in force, and says so in the log. New
/// partners and changed inboxes need a restart: each partner's delivery loop starts with the relay.
final class RelayKeyring: Sendable {
    struct Loaded<Value: Sendable>: Sendable {
        var value: Value
        var bytes: Data?
    }

    let settings: RelaySettings
    let homeRegion: String
    let logger: Logger
    private let partnersFile: Mutex<Loaded<PartnerRegistry>>
    private let keyFile: Mutex<Loaded<RelaySigningKey>>

    init(settings: RelaySettings, homeRegion: String, logger: Logger) {
        self.settings = settings
        self.homeRegion = homeRegion
        self.logger = logger
        partnersFile = Mutex(Loaded(value: settings.partners, bytes: FileManager.default.contents(atPath: settings.partnersPath)))
        keyFile = Mutex(Loaded(value: settings.signingKey, bytes: FileManager.default.contents(atPath: settings.signingKeyPath)))
    }

    var partners: PartnerRegistry {
        current(partnersFile, path: settings.partnersPath, what: "partner registry") { (bytes) throws(RelayFileError) in try PartnerRegistry(json: bytes, homeRegion: homeRegion) }
    }

    var signingKey: RelaySigningKey {
        current(keyFile, path: settings.signingKeyPath, what: "signing key") { (bytes) throws(RelayFileError) in try RelaySigningKey(json: bytes) }
    }

    private func current<Value: Sendable>(_ file: borrowing Mutex<Loaded<Value>>, path: String, what: String, parse: (Data) throws(RelayFileError) -> Value) -> Value {
        let bytes = FileManager.default.contents(atPath: path)
        return file.withLock { loaded in
            guard let bytes, bytes != loaded.bytes else { return loaded.value }
            loaded.bytes = bytes
            do throws(RelayFileError) {
                loaded.value = try parse(bytes)
                logger.notice("relay \(what) read again", metadata: ["relay.file": "\(path)"])
            } catch {
                logger.error("relay \(what) no longer reads; the last good one stays in force", metadata: ["relay.file": "\(path)", "error": "\(error.description)"])
            }
            return loaded.value
        }
    }
}

/// Why a configuration file cannot be used; the message names the place in the file.
struct RelayFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A partner region (跨省通办 partner): who it is, the keys its envelopes are signed with, and how
/// to reach its inbox on its own Kafka cluster.
struct Partner: Sendable {
    struct Inbox: Sendable {
        var bootstrapServers: String
        var topic: String
        /// librdkafka settings for the partner's cluster (TLS, SASL), secrets included: never logged or shown.
        var settings: [String: String]
        /// The largest message the partner's relay takes (its TONGBAN_RELAY_MAX_ENVELOPE_BYTES):
        /// materials go to it in pieces that fit.
        var maximumEnvelopeBytes: Int = Partner.defaultMaximumEnvelopeBytes
    }

    /// A relay's own default limit (TONGBAN_RELAY_MAX_ENVELOPE_BYTES).
    static let defaultMaximumEnvelopeBytes = 512 * 1024

    /// How many bytes of a material one envelope to this partner carries.
    var materialPieceBytes: Int { MaterialChunk.pieceBytes(fittingMessagesOf: inbox.maximumEnvelopeBytes) }

    var region: String
    var name: String
    /// Key id → public key.
    var keys: [String: Curve25519.Signing.PublicKey]
    var inbox: Inbox

    /// The producer settings for the partner's cluster. Not idempotent: a partner's broker may be
    /// replaced under us (and lose its producer state), and order and duplicates are the receiver's
    /// business anyway (sequence numbers); one request in flight keeps retries in order.
    func kafkaConfiguration(clientID: String, deliveryTimeout: Duration) -> KafkaConfiguration {
        var kafka = KafkaConfiguration(bootstrapServers: inbox.bootstrapServers)
        kafka.clientID = clientID
        kafka.enableIdempotence = false
        kafka.messageTimeout = deliveryTimeout
        kafka.statisticsInterval = nil
        kafka.additionalSettings = ["max.in.flight.requests.per.connection": "1"].merging(inbox.settings) { _, partner in partner }
        return kafka
    }
}

/// Every partner of this region, by region code, from the file TONGBAN_RELAY_PARTNERS_FILE names:
///
/// ```json
/// {"partners": [{"region": "370100", "name": "济南市",
///   "keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "370100-relay-2026", "x": "…"}],
///   "inbox": {"bootstrapServers": "kafka.jinan.example:9093", "topic": "tongban.relay.inbox.v1",
///             "settings": {"security.protocol": "sasl_ssl", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "sjz"},
///             "secretFiles": {"sasl.password": "/run/secrets/jinan-kafka"}}}]}
/// ```
struct PartnerRegistry: Sendable {
    var partners: [String: Partner]

    init(_ partners: [Partner]) {
        self.partners = Dictionary(uniqueKeysWithValues: partners.map { ($0.region, $0) })
    }

    subscript(region: String) -> Partner? { partners[region] }

    var sorted: [Partner] { partners.values.sorted { $0.region < $1.region } }

    init(contentsOf path: String, homeRegion: String) throws(RelayFileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw RelayFileError("cannot be read") }
        try self.init(json: data, homeRegion: homeRegion)
    }

    init(json data: Data, homeRegion: String) throws(RelayFileError) {
        struct File: Decodable {
            struct Entry: Decodable {
                struct Inbox: Decodable {
                    var bootstrapServers: String
                    var topic: String?
                    var settings: [String: String]?
                    var secretFiles: [String: String]?
                    var maximumEnvelopeBytes: Int?
                }
                var region: String
                var name: String
                var keys: [Ed25519JWK]
                var inbox: Inbox
            }
            var partners: [Entry]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let error as DecodingError {
            throw RelayFileError("not a partner registry: \(Self.describe(error))")
        } catch {
            throw RelayFileError("not a partner registry: \(error)")
        }
        var partners: [Partner] = []
        for (index, entry) in file.partners.enumerated() {
            let place = "partners[\(index)]"
            do {
                _ = try DivisionCode(entry.region)
            } catch {
                throw RelayFileError("\(place).region '\(entry.region)' is not a division code: \(error)")
            }
            guard entry.region != homeRegion else { throw RelayFileError("\(place).region \(entry.region) is this relay's own region (TONGBAN_REGION)") }
            guard !partners.contains(where: { $0.region == entry.region }) else { throw RelayFileError("\(place).region \(entry.region) is listed twice") }
            guard !entry.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw RelayFileError("\(place).name is empty") }
            guard !entry.keys.isEmpty else { throw RelayFileError("\(place).keys is empty: a partner's envelopes cannot be verified without its key") }
            var keys: [String: Curve25519.Signing.PublicKey] = [:]
            for (keyIndex, jwk) in entry.keys.enumerated() {
                let keyPlace = "\(place).keys[\(keyIndex)]"
                guard !jwk.isPrivate else { throw RelayFileError("\(keyPlace) holds a private key (d); a partner gives only its public key — remove it and ask the partner to replace that key") }
                let key: Curve25519.Signing.PublicKey
                do { key = try jwk.publicKey() } catch { throw RelayFileError("\(keyPlace): \(error.description)") }
                guard keys[jwk.kid] == nil else { throw RelayFileError("\(keyPlace).kid '\(jwk.kid)' is listed twice") }
                keys[jwk.kid] = key
            }
            let servers = entry.inbox.bootstrapServers.trimmingCharacters(in: .whitespaces)
            guard !servers.isEmpty else { throw RelayFileError("\(place).inbox.bootstrapServers is empty") }
            let topic = entry.inbox.topic ?? Topic.relayInbox.name
            guard !topic.isEmpty, topic.count <= 249, topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }) else {
                throw RelayFileError("\(place).inbox.topic '\(topic)' is not a Kafka topic name")
            }
            let maximumBytes = entry.inbox.maximumEnvelopeBytes ?? Partner.defaultMaximumEnvelopeBytes
            guard (16 * 1024)...(64 * 1024 * 1024) ~= maximumBytes else {
                throw RelayFileError("\(place).inbox.maximumEnvelopeBytes \(maximumBytes) is not between 16384 and 67108864")
            }
            var settings = entry.inbox.settings ?? [:]
            for (setting, secretPath) in entry.inbox.secretFiles ?? [:] {
                guard let secret = FileManager.default.contents(atPath: secretPath).flatMap({ String(data: $0, encoding: .utf8) }) else {
                    throw RelayFileError("\(place).inbox.secretFiles.\(setting): '\(secretPath)' cannot be read")
                }
                settings[setting] = secret.trimmingCharacters(in: .newlines)
            }
            partners.append(Partner(region: entry.region, name: entry.name, keys: keys, inbox: .init(bootstrapServers: servers, topic: topic, settings: settings, maximumEnvelopeBytes: maximumBytes)))
        }
        self.init(partners)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)) is invalid"
        @unknown default: return "unreadable"
        }
    }
}

/// This region's relay signing key: signs every envelope it sends. It lives in its file and in
/// memory only; its description never shows the key.
struct RelaySigningKey: Sendable, CustomStringConvertible {
    let keyID: String
    let privateKey: Curve25519.Signing.PrivateKey

    var description: String { "relay signing key \(keyID)" }

    init(keyID: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.keyID = keyID
        self.privateKey = privateKey
    }

    /// Reads the private JWK that `tongban relay keygen` writes.
    init(contentsOf path: String) throws(RelayFileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw RelayFileError("cannot be read") }
        try self.init(json: data)
    }

    init(json data: Data) throws(RelayFileError) {
        let jwk: Ed25519JWK
        do {
            jwk = try JSONDecoder().decode(Ed25519JWK.self, from: data)
        } catch {
            throw RelayFileError("not a JSON Web Key with kty, crv, kid, x and d")
        }
        do {
            self.init(keyID: jwk.kid, privateKey: try jwk.privateKey())
        } catch {
            throw RelayFileError(error.description)
        }
    }

    /// The public half as a JWK, for partners' registries.
    var publicJWK: String { Ed25519JWK(keyID: keyID, publicKey: privateKey.publicKey).json }

    /// The key as a private JWK, for its file.
    var privateJWK: String { Ed25519JWK(keyID: keyID, privateKey: privateKey).json }
}
