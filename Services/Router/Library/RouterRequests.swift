import Foundation
import SwitchboardDomain

struct ContactRequest: Codable, Sendable {
    var location: String
    var contact: String
    var at: Date?
    enum CodingKeys: String, CodingKey { case location, contact, at }
}

struct TagRequest: Codable, Sendable {
    var location: String
    var contact: String
    var tags: [String]
    var at: Date?
    enum CodingKeys: String, CodingKey { case location, contact, tags, at }
}

struct AssignRequest: Codable, Sendable {
    var location: String
    var contact: String
    var user: String
    var at: Date?
    enum CodingKeys: String, CodingKey { case location, contact, user, at }
}

struct DrainRequest: Codable, Sendable {
    var location: String
    var user: String
    var at: Date?
    enum CodingKeys: String, CodingKey { case location, user, at }
}

