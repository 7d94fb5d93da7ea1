import Foundation
import ServiceKit
import TestSupport

/// Docs/access.md, the one written table of who may call each operation: a table per service
/// (`## intake` …, and `## every service` for the routes ServiceKit gives all five), a row per
/// operation, a cell per role.
struct AccessTable {
    struct Row {
        /// The section: a service's name, or `every service`.
        var section: String
        /// `METHOD /path`, as in Docs/openapi.yaml.
        var operation: String
        /// `public` or `401`: the answer without a token.
        var none: String
        /// `yes`, `own` or `no` for each role.
        var cells: [Role: String]
        var scope: String
    }

    static let everyService = "every service"

    let rows: [Row]

    init() throws {
        let text = try String(contentsOf: LocalInfrastructure.repositoryRoot.appendingPathComponent("Docs/access.md"), encoding: .utf8)
        var rows: [Row] = []
        var section = ""
        var columns: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                columns = []
                continue
            }
            guard line.hasPrefix("|") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.first == "operation" {
                columns = cells
                continue
            }
            guard !columns.isEmpty, cells.count == columns.count, let operation = cells.first, operation.hasPrefix("`") else { continue }
            var row = Row(section: section, operation: operation.trimmingCharacters(in: CharacterSet(charactersIn: "`")), none: "", cells: [:], scope: "")
            for (column, cell) in zip(columns, cells) {
                if column == "none" { row.none = cell }
                if column == "scope" { row.scope = cell }
                if let role = Role(rawValue: column) { row.cells[role] = cell }
            }
            rows.append(row)
        }
        self.rows = rows
    }
}
