public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Outbound HTTP for the notifier, through FoundationNetworking's `URLSession` (DESIGN.md).
public struct HTTPPoster: Sendable {
    /// An answer, or the reason there was none.
    public enum Result: Sendable {
        case answered(status: Int, headers: [String: String], body: Data)
        case failed(String)
    }

    let session: URLSession
    let timeout: Double

    public init(timeout: Double) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 64
        // Webhook and CRM calls are never cached and carry no cookies; without these the session
        // still looked every request up in its cache and parsed every answer for cookies.
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data?) async -> Result {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .failed("not an HTTP response") }
            var fields: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
            }
            return .answered(status: http.statusCode, headers: fields, body: data)
        } catch {
            return .failed(error.localizedDescription)
        }
    }
}
