public import Foundation

/// One versioned step of a service's schema: a SQL script, applied once, in order of `version`.
/// Files are named `0001_create_cases.sql`: the number is the version, the rest says what it does.
///
/// A migration runs inside a transaction, so it must not hold BEGIN/COMMIT itself, nor statements
/// that refuse to run in one (CREATE INDEX CONCURRENTLY, VACUUM).
public struct PostgresMigration: Sendable, Hashable {
    public var version: Int
    /// What it does, in snake case: `create_cases`.
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// `0001_create_cases.sql`: the name it has as a file and in `schema_migrations`.
    public var fileName: String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + "_" + name + ".sql"
    }

    /// Every `NNNN_name.sql` file in `directory`, in order of version. Other files are ignored, but a
    /// `.sql` file that does not follow the pattern is an error: a misnamed migration would
    /// otherwise be silently skipped.
    public static func load(directory: URL) throws(PostgresMigrationError) -> [PostgresMigration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .unreadable(path: directory.path, reason: "\(error)")
        }
        var migrations: [PostgresMigration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                  let version = Int(stem[..<underscore]), version > 0,
                  stem[..<underscore].allSatisfy(\.isASCII),
                  case let name = stem[stem.index(after: underscore)...],
                  !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else {
                throw .invalidFileName(fileName)
            }
            let migration = PostgresMigration(version: version, name: String(name), sql: "")
            // One spelling per version (`0001_…`, not `1_…`), so that errors name the real file.
            guard migration.fileName == fileName else { throw .invalidFileName(fileName) }
            let path = directory.appendingPathComponent(fileName).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadable(path: path, reason: "could not be read")
            }
            guard let sql = String(bytes: data, encoding: .utf8) else {
                throw .unreadable(path: path, reason: "is not UTF-8")
            }
            migrations.append(PostgresMigration(version: version, name: migration.name, sql: sql))
        }
        try checkVersions(migrations)
        return migrations.sorted { $0.version < $1.version }
    }

    static func checkVersions(_ migrations: [PostgresMigration]) throws(PostgresMigrationError) {
        var byVersion: [Int: PostgresMigration] = [:]
        for migration in migrations {
            if let other = byVersion[migration.version] {
                throw .duplicateVersion(migration.version, files: [other.fileName, migration.fileName].sorted())
            }
            byVersion[migration.version] = migration
        }
    }
}

/// Why migrations were refused or failed. Each case names the file involved.
public enum PostgresMigrationError: Error, Sendable, CustomStringConvertible {
    /// A `.sql` file whose name is not `NNNN_name.sql`.
    case invalidFileName(String)
    case unreadable(path: String, reason: String)
    case duplicateVersion(Int, files: [String])
    /// A migration already applied to the schema has changed since: the schema no longer matches
    /// its files. Restore the file; fix the schema with a new migration instead.
    case checksumMismatch(schema: String, file: String)
    /// The schema has a migration this code does not know (it was migrated by a newer version).
    case unknownAppliedMigration(schema: String, file: String)
    /// A migration's SQL failed; its transaction was rolled back.
    case failed(schema: String, file: String, PostgresError)

    public var description: String {
        switch self {
        case .invalidFileName(let file):
            "migration file \(file) is not named NNNN_name.sql"
        case .unreadable(let path, let reason):
            "migration \(path): \(reason)"
        case .duplicateVersion(let version, let files):
            "migration version \(version) is used by more than one file: \(files.joined(separator: ", "))"
        case .checksumMismatch(let schema, let file):
            "migration \(file) was applied to schema \(schema) and has been changed since; refusing to migrate"
        case .unknownAppliedMigration(let schema, let file):
            "schema \(schema) has migration \(file) applied, which this version does not have; refusing to migrate"
        case .failed(let schema, let file, let error):
            "migration \(file) failed on schema \(schema): \(error)"
        }
    }
}
