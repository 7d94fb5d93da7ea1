import Foundation
import Logging
import ServiceKit
import Synchronization
import Testing

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test("each entry is one parseable JSON line with its metadata")
    func oneLinePerEntry() throws {
        let lines = Mutex<[String]>([])
        let sink = LogSink { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "tongban.test") { JSONLogHandler(label: $0, sink: sink) }
        logger[metadataKey: "service"] = "intake"
        logger.info("case \"accepted\"\nnext line", metadata: ["case.number": "130100-20261123-000042", "materials": ["a", "b"]])

        let written = lines.withLock { $0 }
        try #require(written.count == 1)
        #expect(written[0].hasSuffix("}\n"))
        #expect(written[0].dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "case \"accepted\"\nnext line")
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "tongban.test")
        #expect(object["service"] as? String == "intake")
        #expect(object["case.number"] as? String == "130100-20261123-000042")
        #expect(object["materials"] as? [String] == ["a", "b"])
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }

    @Test("entries below the level are not written")
    func level() {
        let lines = Mutex<[String]>([])
        let sink = LogSink { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "tongban.test") { JSONLogHandler(label: $0, sink: sink) }
        logger.logLevel = .warning
        logger.info("quiet")
        logger.warning("loud")
        #expect(lines.withLock { $0.count } == 1)
    }
}
