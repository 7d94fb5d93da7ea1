import ArgumentParser
import Crypto
import Foundation
import Signing

/// `tongban relay`: the relay's keys. A region signs every envelope it sends its partners with its
/// own Ed25519 key; each partner verifies with the public half, which it lists in its partner
/// registry (TONGBAN_RELAY_PARTNERS_FILE).
struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the relay's signing key pair.",
        subcommands: [Keygen.self]
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
}
