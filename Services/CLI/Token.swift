import ArgumentParser
import Foundation
import ServiceKit

/// `tongban token`: development tokens. In production an identity provider issues tokens; locally
/// this command plays that part with a key pair of its own.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a token-signing key pair, or issue a development token.",
        subcommands: [Keygen.self, Issue.self]
    )

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 key pair: signing-key.jwk (private, mode 0600) and verification-keys.jwks (for TONGBAN_TOKEN_JWKS_FILE)."
        )

        @Option(help: "The folder to write the two files into.")
        var directory: String

        @Flag(help: "Replace an existing key pair (tokens signed by the old key stop working).")
        var force = false

        func run() throws {
            let folder = URL(fileURLWithPath: directory, isDirectory: true)
            let privateFile = folder.appendingPathComponent("signing-key.jwk")
            let publicFile = folder.appendingPathComponent("verification-keys.jwks")
            if !force, FileManager.default.fileExists(atPath: privateFile.path) {
                print("A signing key already exists in \(directory); keeping it (use --force to replace it).")
                return
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let key = TokenSigningKey.generate()
            // Create the private file with owner-only permissions before any byte of the key is written.
            guard FileManager.default.createFile(atPath: privateFile.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot create \(privateFile.path)")
            }
            try Data(key.privateJWK.utf8).write(to: privateFile)
            try Data(key.verificationJWKS.utf8).write(to: publicFile)
            print("key id \(key.keyID)")
            print("signing key (keep private): \(privateFile.path)")
            print("verification keys (give to services as TONGBAN_TOKEN_JWKS_FILE): \(publicFile.path)")
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a signed bearer token for a role.",
            discussion: "Example: tongban token issue --role officer --subject officer-017 --department market-regulation --region 130100"
        )

        @Option(help: "The private key made by `tongban token keygen` (or TONGBAN_TOKEN_SIGNING_KEY_FILE).")
        var signingKeyFile: String?

        @Option(help: "applicant, clerk, officer, supervisor, partner or admin.")
        var role: String

        @Option(help: "Who the token is for: the applicant id for an applicant, the staff id otherwise.")
        var subject: String

        @Option(help: "Administrative division code, for clerks, officers and partners.")
        var region: String?

        @Option(help: "Department, for officers.")
        var department: String?

        @Option(help: "An applicant's verified identity: the resident identity number, or the unified social credit code of the enterprise the account acts for. An applicant reaches only the cases of this identity.")
        var identity: String?

        @Option(help: "How long the token is valid, in minutes.")
        var minutes: Int = 480

        @Option(help: "The iss claim (services check it against TONGBAN_TOKEN_ISSUER).")
        var issuer: String = ProcessInfo.processInfo.environment["TONGBAN_TOKEN_ISSUER"] ?? "tongban-local"

        @Option(help: "The aud claim (services check it against TONGBAN_TOKEN_AUDIENCE).")
        var audience: String = ProcessInfo.processInfo.environment["TONGBAN_TOKEN_AUDIENCE"] ?? "tongban"

        func validate() throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if [.clerk, .officer, .partner].contains(role), region == nil {
                throw ValidationError("the role \(role.rawValue) needs --region")
            }
            if role == .officer, department == nil {
                throw ValidationError("the role officer needs --department")
            }
            if identity != nil, role != .applicant {
                throw ValidationError("--identity is for applicants")
            }
            guard minutes > 0 else { throw ValidationError("--minutes must be positive") }
        }

        func run() async throws {
            guard let path = signingKeyFile ?? ProcessInfo.processInfo.environment["TONGBAN_TOKEN_SIGNING_KEY_FILE"] else {
                throw ValidationError("give --signing-key-file or set TONGBAN_TOKEN_SIGNING_KEY_FILE")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the signing key at \(path)")
            }
            let key = try TokenSigningKey(privateJWK: String(decoding: data, as: UTF8.self))
            let principal = Principal(subject: subject, role: Role(rawValue: role)!, region: region, department: department, identity: identity)
            print(try await key.issueToken(for: principal, issuer: issuer, audience: audience, lifetime: .seconds(minutes * 60)))
        }
    }
}
