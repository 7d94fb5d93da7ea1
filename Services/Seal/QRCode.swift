import CQREncode

/// A QR code made by libqrencode: its modules, dark or light, row by row.
struct QRCode: Sendable {
    let size: Int
    let modules: [Bool]

    struct EncodingFailed: Error {}

    /// `text` as 8-bit data with error correction level M (15% of the symbol may be lost).
    init(_ text: String) throws(EncodingFailed) {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { throw EncodingFailed() }
        defer { QRcode_free(code) }
        size = Int(code.pointee.width)
        // Bit 0 of each byte is the module's colour; the other bits are libqrencode's bookkeeping.
        modules = UnsafeBufferPointer(start: code.pointee.data, count: size * size).map { $0 & 1 == 1 }
    }

    func isDark(row: Int, column: Int) -> Bool {
        modules[row * size + column]
    }

    /// An SVG drawing, one path of unit squares, with the four-module quiet zone around it.
    func svg(pixels: Int, label: String) -> String {
        let quiet = 4
        let extent = size + 2 * quiet
        var path = ""
        for row in 0..<size {
            for column in 0..<size where isDark(row: row, column: column) {
                path += "M\(column + quiet) \(row + quiet)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\(HTML.escape(label))" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(extent) \(extent)" shape-rendering="crispEdges"><rect width="\(extent)" height="\(extent)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}
