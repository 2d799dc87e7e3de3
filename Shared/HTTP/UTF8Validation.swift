extension Array where Element == UInt8 {
    /// Whether the bytes are valid UTF-8, checked where they lie. The request parser and the form
    /// decoder only need the answer: `String(validating:)` copied every head and body into a
    /// string that was dropped at once.
    var isValidUTF8: Bool { (try? UTF8Span(validating: span)) != nil }
}
