/// An incremental HTTP/1.1 request parser (RFC 9112) with hard limits, safe on any byte stream.
///
/// Feed bytes with ``append(_:)`` and pull events with ``next()``. Bodies are read by
/// `Content-Length` or `chunked` transfer coding; a request with both is refused (request
/// smuggling). After a ``Event/failure(status:message:)`` the connection must be closed.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable {
        /// Request line plus header fields, in bytes (431 beyond).
        public var maximumHeaderBytes = 16 * 1024
        /// Decoded body, in bytes (413 beyond).
        public var maximumBodyBytes = 1 << 20
        /// A larger (or smaller) body limit for requests to one path: WhatsApp's callback takes
        /// what Meta documents (~3 MB), every other path keeps ``maximumBodyBytes``.
        public var maximumBodyBytesByPath: [String: Int] = [:]

        public init() {}

        /// The body limit for a request to `path`.
        public func maximumBodyBytes(forPath path: String) -> Int {
            maximumBodyBytesByPath[path] ?? maximumBodyBytes
        }
    }

    public enum Event: Sendable {
        case request(HTTPRequest)
        /// The head asked `Expect: 100-continue` and its body is acceptable: say `100 Continue`.
        case expectContinue
        case needMoreData
        case failure(status: Int, message: String)
    }

    private enum ChunkState: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private enum State: Sendable {
        case head
        case fixedBody(HTTPRequest, remaining: Int)
        case chunkedBody(HTTPRequest, ChunkState)
        case failed
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var offset = 0
    private var state = State.head
    private var pendingContinue = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// True when part of a request has arrived but not all of it.
    public var isMidRequest: Bool {
        if case .head = state { return offset < buffer.count }
        return true
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if offset > 0 {
            buffer.removeSubrange(0..<offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public mutating func next() -> Event {
        if pendingContinue {
            pendingContinue = false
            return .expectContinue
        }
        while true {
            switch state {
            case .failed:
                return .failure(status: 400, message: "connection already failed")
            case .head:
                guard let end = headEnd() else {
                    if buffer.count - offset > limits.maximumHeaderBytes { return fail(431, "request header exceeds \(limits.maximumHeaderBytes) bytes") }
                    return .needMoreData
                }
                if end.headLength > limits.maximumHeaderBytes { return fail(431, "request header exceeds \(limits.maximumHeaderBytes) bytes") }
                let headBytes = Array(buffer[offset..<(offset + end.headLength)])
                offset += end.totalLength
                switch parseHead(headBytes) {
                case .failure(let failure):
                    return fail(failure.status, failure.message)
                case .success(let parsed):
                    if let event = begin(parsed) { return event }
                }
            case .fixedBody(var request, let remaining):
                let available = min(remaining, buffer.count - offset)
                request.body.append(contentsOf: buffer[offset..<(offset + available)])
                offset += available
                if remaining - available == 0 {
                    state = .head
                    return .request(request)
                }
                state = .fixedBody(request, remaining: remaining - available)
                return .needMoreData
            case .chunkedBody(let request, let chunkState):
                switch advanceChunked(request, chunkState) {
                case .some(let event): return event
                case .none: continue
                }
            }
        }
    }

    private struct Failure: Error {
        var status: Int
        var message: String
    }

    private mutating func fail(_ status: Int, _ message: String) -> Event {
        state = .failed
        return .failure(status: status, message: message)
    }

    /// Chooses how to read the body of a parsed head; returns an event when there is one to report.
    private mutating func begin(_ request: HTTPRequest) -> Event? {
        let transferEncoding = request.header("Transfer-Encoding")
        let lengths = request.headers.filter { $0.name.caseInsensitiveEquals("Content-Length") }.map(\.value)
        let expectsContinue = request.header("Expect")?.lowercased() == "100-continue"
        if let transferEncoding {
            guard lengths.isEmpty else { return fail(400, "both Content-Length and Transfer-Encoding") }
            guard transferEncoding.lowercased().trimmingSpaces() == "chunked" else { return fail(501, "unsupported transfer coding \(transferEncoding)") }
            state = .chunkedBody(request, .size)
            if expectsContinue { return .expectContinue }
            return nil
        }
        guard !lengths.isEmpty else {
            state = .head
            return .request(request)
        }
        guard Set(lengths).count == 1, let length = Int(lengths[0].trimmingSpaces()), length >= 0,
              lengths[0].trimmingSpaces().utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return fail(400, "invalid Content-Length") }
        let limit = limits.maximumBodyBytes(forPath: request.path)
        guard length <= limit else { return fail(413, "body of \(length) bytes exceeds \(limit)") }
        if length == 0 {
            state = .head
            return .request(request)
        }
        state = .fixedBody(request, remaining: length)
        if expectsContinue, buffer.count == offset { return .expectContinue }
        return nil
    }

    /// One step of chunked decoding; nil means "state advanced, loop again".
    private mutating func advanceChunked(_ request: HTTPRequest, _ chunkState: ChunkState) -> Event? {
        var request = request
        switch chunkState {
        case .size:
            guard let line = takeLine(limit: 1024) else {
                return buffer.count - offset > 1024 ? fail(400, "chunk size line too long") : .needMoreData
            }
            let sizeText = line.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            guard let size = Int(String(decoding: sizeText, as: UTF8.self).trimmingSpaces(), radix: 16), size >= 0 else {
                return fail(400, "invalid chunk size")
            }
            if size == 0 {
                state = .chunkedBody(request, .trailers)
            } else {
                let limit = limits.maximumBodyBytes(forPath: request.path)
                guard request.body.count + size <= limit else {
                    return fail(413, "body exceeds \(limit) bytes")
                }
                state = .chunkedBody(request, .data(remaining: size))
            }
            return nil
        case .data(let remaining):
            let available = min(remaining, buffer.count - offset)
            guard available > 0 else { return .needMoreData }
            request.body.append(contentsOf: buffer[offset..<(offset + available)])
            offset += available
            state = .chunkedBody(request, remaining == available ? .dataEnd : .data(remaining: remaining - available))
            return remaining == available ? nil : .needMoreData
        case .dataEnd:
            guard let line = takeLine(limit: 2) else {
                return buffer.count - offset > 2 ? fail(400, "chunk not followed by CRLF") : .needMoreData
            }
            guard line.isEmpty else { return fail(400, "chunk not followed by CRLF") }
            state = .chunkedBody(request, .size)
            return nil
        case .trailers:
            guard let line = takeLine(limit: limits.maximumHeaderBytes) else {
                return buffer.count - offset > limits.maximumHeaderBytes ? fail(431, "trailers too long") : .needMoreData
            }
            if line.isEmpty {
                state = .head
                return .request(request)
            }
            return nil
        }
    }

    /// Takes one line ending in LF (CR optional) if complete.
    private mutating func takeLine(limit: Int) -> [UInt8]? {
        var index = offset
        let end = min(buffer.count, offset + limit + 2)
        while index < end {
            if buffer[index] == 0x0A {
                var lineEnd = index
                if lineEnd > offset, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = Array(buffer[offset..<lineEnd])
                offset = index + 1
                return line
            }
            index += 1
        }
        return nil
    }

    private func headEnd() -> (headLength: Int, totalLength: Int)? {
        var index = offset
        let count = buffer.count
        while index < count {
            if buffer[index] == 0x0A {
                if index + 1 < count, buffer[index + 1] == 0x0A { return (index - offset, index + 2 - offset) }
                if index + 2 < count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A { return (index - offset, index + 3 - offset) }
            }
            index += 1
        }
        return nil
    }

    private func parseHead(_ bytes: [UInt8]) -> Result<HTTPRequest, Failure> {
        // One check for the whole head: CR, LF, space and colon never occur inside a multi-byte
        // character, so the head is UTF-8 exactly when each of its parts is.
        guard bytes.isValidUTF8 else {
            return .failure(Failure(status: 400, message: "header is not UTF-8"))
        }
        return bytes.withUnsafeBufferPointer { parseHead(validUTF8: $0) }
    }

    /// Splits and checks the head on its bytes, not on `Character`s (Swift treats "\r\n" as one
    /// Character, and a walk by Characters cost every request its grapheme breaking).
    private func parseHead(validUTF8 bytes: UnsafeBufferPointer<UInt8>) -> Result<HTTPRequest, Failure> {
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        // A line ends at LF, or at the end; a CR before its end is not part of it.
        var lines: [Range<Int>] = []
        var lineStart = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A {
            lines.append(lineStart..<(index > lineStart && bytes[index - 1] == 0x0D ? index - 1 : index))
            lineStart = index + 1
        }
        guard let requestIndex = lines.firstIndex(where: { !$0.isEmpty }) else {
            return .failure(Failure(status: 400, message: "empty request"))
        }
        let requestLine = lines[requestIndex]
        let spaces = requestLine.filter { bytes[$0] == 0x20 }
        guard spaces.count == 2 else { return .failure(Failure(status: 400, message: "malformed request line")) }
        let method = requestLine.lowerBound..<spaces[0]
        let target = (spaces[0] + 1)..<spaces[1]
        let version = text((spaces[1] + 1)..<requestLine.upperBound)
        guard !method.isEmpty, method.allSatisfy({ isTokenByte(bytes[$0]) }),
              !target.isEmpty, target.allSatisfy({ bytes[$0] > 0x20 && bytes[$0] < 0x7F })
        else { return .failure(Failure(status: 400, message: "malformed request line")) }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return version.hasPrefix("HTTP/") ? .failure(Failure(status: 505, message: "unsupported version \(version)"))
                : .failure(Failure(status: 400, message: "malformed request line"))
        }
        var headers: [(name: String, value: String)] = []
        for line in lines[(requestIndex + 1)...] where !line.isEmpty {
            guard let colon = line.first(where: { bytes[$0] == UInt8(ascii: ":") }) else {
                return .failure(Failure(status: 400, message: "malformed header line"))
            }
            let name = line.lowerBound..<colon
            guard !name.isEmpty, name.allSatisfy({ isTokenByte(bytes[$0]) }) else {
                return .failure(Failure(status: 400, message: "malformed header name"))
            }
            var value = (colon + 1)..<line.upperBound
            while let first = value.first, bytes[first] == 0x20 || bytes[first] == 0x09 { value = (first + 1)..<value.upperBound }
            while let last = value.last, bytes[last] == 0x20 || bytes[last] == 0x09 { value = value.lowerBound..<last }
            guard !value.contains(where: { (bytes[$0] < 0x20 && bytes[$0] != 0x09) || bytes[$0] == 0x7F }) else {
                return .failure(Failure(status: 400, message: "control character in header \(text(name))"))
            }
            headers.append((text(name), text(value)))
        }
        return .success(HTTPRequest(method: text(method), target: text(target), version: version, headers: headers))
    }

    private func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
