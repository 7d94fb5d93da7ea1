import ArgumentParser
import Crypto
import Foundation
import Logging
import MessageLog
import Postgres
import Signing

/// `tongban relay`: the relay's keys. A region signs every envelope it sends its partners with its
/// own Ed25519 key; each partner verifies with the public half, which it lists in its partner
/// registry (TONGBAN_RELAY_PARTNERS_FILE).
struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the relay's signing key pair; verify and export its signed message log.",
        subcommands: [Keygen.self, Log.self]
    )

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create relay-signing-key.jwk (private, mode 0600, for TONGBAN_RELAY_SIGNING_KEY_FILE) and relay-public-key.jwk (for partners' registries).",
            discussion: "Example: tongban relay keygen --region 130100 --directory /etc/tongban/relay"
        )

        @Option(help: "The folder to write the two files into.")
        var directory: String

        @Option(help: "This region's division code; the key id starts with it.")
        var region: String

        @Flag(help: "Replace an existing key pair (partners must then be given the new public key).")
        var force = false

        func validate() throws {
            guard region.count == 6, region.allSatisfy(\.isNumber) else { throw ValidationError("--region must be a six-digit division code") }
        }

        func run() throws {
            let folder = URL(fileURLWithPath: directory, isDirectory: true)
            let privateFile = folder.appendingPathComponent("relay-signing-key.jwk")
            let publicFile = folder.appendingPathComponent("relay-public-key.jwk")
            if !force, FileManager.default.fileExists(atPath: privateFile.path) {
                print("A relay signing key already exists in \(directory); keeping it (use --force to replace it).")
                return
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let key = Curve25519.Signing.PrivateKey()
            let day = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.omitted).format(Date())
            let keyID = "\(region)-relay-\(day)-\(UUID().uuidString.prefix(4).lowercased())"
            // Owner-only permissions before any byte of the key is written.
            try? FileManager.default.removeItem(at: privateFile)
            guard FileManager.default.createFile(atPath: privateFile.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot create \(privateFile.path)")
            }
            try Data(Ed25519JWK(keyID: keyID, privateKey: key).json.utf8).write(to: privateFile)
            try Data(Ed25519JWK(keyID: keyID, publicKey: key.publicKey).json.utf8).write(to: publicFile)
            print("key id \(keyID)")
            print("signing key (keep private; TONGBAN_RELAY_SIGNING_KEY_FILE): \(privateFile.path)")
            print("public key (give to partner regions for their registries): \(publicFile.path)")
        }
    }

    /// `tongban relay log`: the signed message log (MessageLog) — every envelope sent to or taken
    /// from a partner, its exact signed bytes, hash-chained per partner.
    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the relay's signed message log, or export a case's envelopes for a dispute.",
            subcommands: [Verify.self, Export.self]
        )
    }

    /// The relay's database, as the relay's own role.
    struct LogDatabase: ParsableArguments {
        @Option(help: "libpq URL of the relay's role (default: TONGBAN_DATABASE_URL).")
        var databaseURL: String?

        func client() throws -> PostgresClient {
            guard let url = databaseURL ?? ProcessInfo.processInfo.environment["TONGBAN_DATABASE_URL"] else {
                throw ValidationError("no database URL: set TONGBAN_DATABASE_URL or pass --database-url")
            }
            var logger = Logger(label: "tongban.relay-log")
            logger.logLevel = .warning
            return PostgresClient(configuration: .init(url: url), logger: logger)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every partner's chain and every signature; name the first entry that does not hold (exit status 1).",
            discussion: "Example: TONGBAN_DATABASE_URL=postgresql://relay:…@db/tongban tongban relay log verify"
        )

        @OptionGroup var database: LogDatabase

        @Option(help: "Only this partner's log (a division code).")
        var partner: String?

        func run() async throws {
            let client = try database.client()
            defer { client.close() }
            let failed = try await client.withConnection { connection in
                let keys = try await MessageLog.keys(on: connection)
                var failed = false
                for partner in try await MessageLog.partners(on: connection) where self.partner == nil || partner == self.partner {
                    let entries = try await MessageLog.entries(of: partner, on: connection)
                    switch MessageLog.verify(entries, partner: partner, head: try await MessageLog.head(of: partner, on: connection), keys: keys) {
                    case .success(let verified):
                        let from = verified.pruned ? " (from #\(verified.first): earlier entries were pruned by the retention)" : ""
                        print("\(partner): \(verified.entries) entries, #\(verified.first)–#\(verified.last), chain and signatures hold\(from)")
                    case .failure(let finding):
                        print("\(partner): FAILED at \(finding)")
                        failed = true
                    }
                }
                return failed
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write what a dispute about one case needs, as files a third party can verify: every envelope sent or received about it (receipts included), exactly as signed, the public keys that signed them and a manifest with each entry's place in its chain.",
            discussion: "Example: tongban relay log export --case 130100-20261123-000042 --directory ./dispute"
        )

        @OptionGroup var database: LogDatabase

        @Option(name: .customLong("case"), help: "The case number (the origin's).")
        var caseNumber: String

        @Option(help: "The folder to write into (created).")
        var directory: String

        struct Manifest: Encodable {
            struct Item: Encodable {
                var file: String
                var partner: String
                var position: Int
                var direction: MessageLog.Direction
                var kind: String
                var envelopeID: String
                var sequence: Int
                var keyID: String
                var loggedAt: String
                var sha256: String
                var previousHash: String
                var entryHash: String
            }
            var caseNumber: String
            var howToVerify: [String]
            var entries: [Item]
            var keys: [String]
        }

        func run() async throws {
            let client = try database.client()
            defer { client.close() }
            let (entries, keys) = try await client.withConnection { connection in
                (try await MessageLog.entries(ofCase: caseNumber, on: connection), try await MessageLog.keys(on: connection))
            }
            guard !entries.isEmpty else { throw ValidationError("the log has no envelope about case \(caseNumber)") }
            let folder = URL(fileURLWithPath: directory, isDirectory: true)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("keys"), withIntermediateDirectories: true)
            var items: [Manifest.Item] = []
            for entry in entries {
                let file = "\(entry.partner)-\(String(format: "%08d", entry.position))-\(entry.direction.rawValue)-\(entry.kind).json"
                try Data(entry.signed).write(to: folder.appendingPathComponent(file))
                items.append(Manifest.Item(
                    file: file, partner: entry.partner, position: entry.position, direction: entry.direction, kind: entry.kind, envelopeID: entry.envelopeID,
                    sequence: entry.sequence, keyID: entry.keyID, loggedAt: ISO8601DateFormatter().string(from: entry.loggedAt),
                    sha256: SHA256.hash(data: entry.signed).hexadecimal, previousHash: entry.previousHash, entryHash: entry.entryHash
                ))
            }
            let used = Set(entries.map(\.keyID)).sorted()
            for keyID in used {
                guard let key = keys[keyID] else { continue }
                try Data(key.jwk.json.utf8).write(to: folder.appendingPathComponent("keys/\(keyID).jwk"))
            }
            let manifest = Manifest(
                caseNumber: caseNumber,
                howToVerify: [
                    "Each envelope file is the exact JSON its sender signed. Remove its \"signature\" member, write the rest in the RFC 8785 canonical form (JCS), and check the signature — multibase base58btc (a leading z), 64 bytes — as Ed25519 over those bytes with keys/<keyID>.jwk, whose region is the envelope's sender.",
                    "A receipt (kind receipt) is the receiver's signed statement that it took every envelope of the case up to acknowledgedSequence.",
                    "Each entry's place in its partner's chain: entryHash is the lower-case hex SHA-256 of the UTF-8 text previousHash + \"\\n\" + position + \"\\n\" + partner + \"\\n\" + direction + \"\\n\" + sha256, where sha256 is that of the envelope file; the first entry's previousHash is 64 zeros. The other region's log holds the same envelopes in the other direction.",
                ],
                entries: items,
                keys: used.map { "keys/\($0).jwk" }
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(manifest).write(to: folder.appendingPathComponent("manifest.json"))
            print("wrote \(items.count) envelopes about case \(caseNumber), \(used.count) keys and manifest.json to \(folder.path)")
        }
    }
}
