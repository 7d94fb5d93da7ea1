import Crypto
public import Foundation
public import Hummingbird
public import JWTKit
import Logging
import Signing

/// Who may call Tongban's HTTP APIs.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// A person or enterprise applying; the token's subject is the applicant id.
    case applicant
    /// 综合窗口: registers applications for any matter, in one region.
    case clerk
    /// A department officer, acting only for their own department, in one region.
    case officer
    /// 电子监察: watches clocks, lights and ratings.
    case supervisor
    /// A partner region's system.
    case partner
    case admin
}

/// The authenticated caller, from a verified bearer token.
public struct Principal: Sendable, Equatable {
    /// Applicant id, officer id, clerk id … as the identity provider knows them.
    public var subject: String
    public var role: Role
    /// Administrative division code (GB/T 2260) for clerks, officers and partners.
    public var region: String?
    /// The department an officer acts for.
    public var department: String?
    /// An applicant's verified identity (实名认证): the resident identity number of a person, or
    /// the unified social credit code of the enterprise the account acts for. An applicant reaches
    /// a case, a licence or a rating only through it: never through an account a clerk named.
    public var identity: String?

    public init(subject: String, role: Role, region: String? = nil, department: String? = nil, identity: String? = nil) {
        self.subject = subject
        self.role = role
        self.region = region
        self.department = department
        self.identity = identity
    }

    /// 403 unless the caller holds one of `roles` (any role when `roles` is empty).
    public func require(_ roles: [Role]) throws(Problem) {
        guard roles.isEmpty || roles.contains(role) else {
            throw .forbidden("This needs the role \(roles.map(\.rawValue).joined(separator: " or ")); the caller is \(role.rawValue).")
        }
    }

    /// Officers act only on their own department's work: another department's task or
    /// rectification answers 404 (`notFound`, the same answer as for one that does not exist), so
    /// that its existence is not confirmed.
    public func requireOwnDepartment(_ department: String, notFound: String) throws(Problem) {
        try require([.officer])
        guard self.department == department else { throw .notFound(notFound) }
    }

    /// The applicant whose verified identity is `identifier` (a case's applicant, a licence's holder).
    public func isApplicant(identifiedBy identifier: String) -> Bool {
        role == .applicant && identity == identifier
    }

    /// The SHA-256 (hexadecimal) of an applicant's identity, for a service that recognises the
    /// applicant without keeping the identity number itself (evaluation).
    public static func identityDigest(_ identifier: String) -> String {
        SHA256.hash(data: Data(identifier.utf8)).hexadecimal
    }

    /// The applicant whose verified identity has the digest `digest` (see `identityDigest`).
    public func isApplicant(identityDigest digest: String) -> Bool {
        role == .applicant && identity.map(Self.identityDigest) == digest
    }

    /// An officer of `department` in `region`: the department's officers elsewhere are not.
    public func isOfficer(of department: String?, in region: String) -> Bool {
        role == .officer && department != nil && self.department == department && self.region == region
    }

    /// A clerk (综合窗口) of `region`.
    public func isClerk(in region: String) -> Bool {
        role == .clerk && self.region == region
    }

}

/// The claims of a Tongban bearer token.
public struct TokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var role: String
    public var region: String?
    public var department: String?
    /// An applicant's verified identity (see `Principal.identity`).
    public var identity: String?

    public func verify(using _: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Verifies bearer tokens against the configured public keys, issuer and audience.
public struct TokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let issuer: String
    let audience: String

    /// `jwks` is a JSON Web Key Set of verification keys (Ed25519, ECDSA or RSA public keys).
    public init(jwks: String, issuer: String, audience: String) async throws {
        keys = try await JWTKeyCollection().add(jwksJSON: jwks)
        self.issuer = issuer
        self.audience = audience
    }

    public func principal(fromBearer token: String) async throws(Problem) -> Principal {
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw .unauthenticated("The token has expired.")
        } catch {
            throw .unauthenticated("The token is not valid.")
        }
        guard claims.iss.value == issuer, claims.aud.value.contains(audience) else {
            throw .unauthenticated("The token was not issued for Tongban.")
        }
        guard let role = Role(rawValue: claims.role) else {
            throw .unauthenticated("The token names an unknown role.")
        }
        let principal = Principal(subject: claims.sub.value, role: role, region: claims.region, department: claims.department, identity: role == .applicant ? claims.identity : nil)
        if [.clerk, .officer, .partner].contains(role), principal.region == nil {
            throw .unauthenticated("A \(role.rawValue)'s token must name a region.")
        }
        if role == .officer, principal.department == nil {
            throw .unauthenticated("An officer's token must name a department.")
        }
        return principal
    }
}

/// Reads `Authorization: Bearer …` and puts the caller into the context. A request without a token
/// goes on anonymously (routes that need a caller say so with `requirePrincipal`); a request with a
/// bad token stops here with 401.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = TongbanRequestContext
    let verifier: TokenVerifier
    let region: String

    public init(verifier: TokenVerifier, region: String) {
        self.verifier = verifier
        self.region = region
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.homeRegion = region
        guard let authorization = request.headers[.authorization] else {
            return try await next(request, context)
        }
        guard authorization.lowercased().hasPrefix("bearer ") else {
            throw Problem.unauthenticated("Only bearer tokens are accepted.")
        }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        context.principal = try await verifier.principal(fromBearer: token)
        context.logger[metadataKey: "caller.role"] = .string(context.principal!.role.rawValue)
        return try await next(request, context)
    }
}

// MARK: - Keys and development tokens

/// An Ed25519 key pair for signing tokens: the private half stays with whoever issues tokens
/// (the identity provider; locally, `tongban token`), the public half goes to every service as a JWKS.
public struct TokenSigningKey: Sendable {
    public var keyID: String
    let privateKey: Curve25519.Signing.PrivateKey

    public static func generate() -> TokenSigningKey {
        TokenSigningKey(keyID: "tongban-\(UUID().uuidString.prefix(8).lowercased())", privateKey: .init())
    }

    /// The private key as a JWK, for a file only its owner can read.
    public var privateJWK: String {
        var jwk = Ed25519JWK(keyID: keyID, privateKey: privateKey)
        jwk.alg = "EdDSA"
        return jwk.json
    }

    /// The public key set that services verify with.
    public var verificationJWKS: String {
        var jwk = Ed25519JWK(keyID: keyID, publicKey: privateKey.publicKey)
        jwk.alg = "EdDSA"
        jwk.use = "sig"
        return Ed25519JWK.keySet([jwk])
    }

    public init(privateJWK json: String) throws {
        guard let jwk = try? JSONDecoder().decode(Ed25519JWK.self, from: Data(json.utf8)), let key = try? jwk.privateKey() else {
            throw TokenKeyError(description: "not an Ed25519 private JWK")
        }
        self.init(keyID: jwk.kid, privateKey: key)
    }

    init(keyID: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.keyID = keyID
        self.privateKey = privateKey
    }

    /// Signs a token for `principal`, valid for `lifetime` from `now`.
    public func issueToken(
        for principal: Principal,
        issuer: String,
        audience: String,
        lifetime: Duration,
        now: Date = Date()
    ) async throws -> String {
        let keys = await JWTKeyCollection().add(
            eddsa: try EdDSA.PrivateKey(d: Base64URL.encode(Array(privateKey.rawRepresentation)), curve: .ed25519),
            kid: JWKIdentifier(string: keyID)
        )
        let claims = TokenClaims(
            sub: .init(value: principal.subject),
            iss: .init(value: issuer),
            aud: .init(value: [audience]),
            iat: .init(value: now),
            exp: .init(value: now.addingTimeInterval(Double(lifetime.components.seconds))),
            role: principal.role.rawValue,
            region: principal.region,
            department: principal.department,
            identity: principal.identity
        )
        return try await keys.sign(claims, kid: JWKIdentifier(string: keyID))
    }
}

public struct TokenKeyError: Error, CustomStringConvertible {
    public var description: String
}
