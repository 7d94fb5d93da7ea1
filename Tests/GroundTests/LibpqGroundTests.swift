import CLibPQ
import TestSupport
import Testing

/// The ground under Shared/Postgres: libpq connects to the project-local cluster and runs a query
/// whose values travel as bound parameters.
@Suite("libpq against the local PostgreSQL")
struct LibpqGroundTests {
    @Test("a parameterised query runs on the project's own cluster")
    func query() throws {
        let connection = PQconnectdb(TestInfrastructure.adminDatabaseURL)
        defer { PQfinish(connection) }
        try #require(PQstatus(connection) == CONNECTION_OK, "\(String(cString: PQerrorMessage(connection)))")
        #expect(PQserverVersion(connection) >= 15_0000)

        let result = "41".withCString { first in
            "'); DROP TABLE x; --".withCString { second in
                var values: [UnsafePointer<CChar>?] = [first, second]
                return PQexecParams(connection, "SELECT $1::int + 1, $2::text, current_database()", 2, nil, &values, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        try #require(PQresultStatus(result) == PGRES_TUPLES_OK, "\(String(cString: PQresultErrorMessage(result)))")
        #expect(String(cString: PQgetvalue(result, 0, 0)) == "42")
        #expect(String(cString: PQgetvalue(result, 0, 1)) == "'); DROP TABLE x; --")
        #expect(String(cString: PQgetvalue(result, 0, 2)) == "tongban")
    }
}

@Suite("restarting the test infrastructure")
struct InfrastructureRestartTests {
    @Test("PostgreSQL stopped by the script refuses connections, and serves again once started")
    func restartPostgres() async throws {
        try await LocalInfrastructure.stop(.postgres)
        let refused = PQconnectdb(TestInfrastructure.adminDatabaseURL)
        #expect(PQstatus(refused) == CONNECTION_BAD)
        PQfinish(refused)

        try await LocalInfrastructure.start(.postgres)
        let connection = PQconnectdb(TestInfrastructure.adminDatabaseURL)
        defer { PQfinish(connection) }
        #expect(PQstatus(connection) == CONNECTION_OK)
    }
}
