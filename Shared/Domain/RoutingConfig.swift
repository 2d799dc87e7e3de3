import Foundation

/// Refuses keys a configuration object does not define (`CONFIG.md`: "Unknown keys are an
/// error (typos must not pass silently)").
public enum StrictKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws a `DecodingError` naming the first key of the object outside `allowed`, so a
    /// misspelled field is an error rather than a silent default.
    public static func check(_ decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "unknown key \"\(key.stringValue)\"")
        }
    }
}

/// One location's configuration file (`CONFIG.md`, v1): its team and its routing.
public struct LocationConfig: Codable, Sendable, Equatable {
    public var version: Int
    public var location: LocationSettings
    public var users: [DirectoryUser]
    public var teams: [Team]
    public var accounts: [Account]
    public var tags: [TagEntry]
    public var rules: [Rule]

    enum CodingKeys: String, CodingKey, CaseIterable { case version, location, users, teams, accounts, tags, rules }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        location = try container.decode(LocationSettings.self, forKey: .location)
        users = try container.decodeIfPresent([DirectoryUser].self, forKey: .users) ?? []
        teams = try container.decodeIfPresent([Team].self, forKey: .teams) ?? []
        accounts = try container.decodeIfPresent([Account].self, forKey: .accounts) ?? []
        tags = try container.decodeIfPresent([TagEntry].self, forKey: .tags) ?? []
        rules = try container.decodeIfPresent([Rule].self, forKey: .rules) ?? []
    }

    /// The account written to, by platform and address.
    public func account(platform: Platform, address: String) -> Account? {
        accounts.first { $0.platform == platform && $0.address == address }
    }
}

/// `location` of the configuration file.
public struct LocationSettings: Codable, Sendable, Equatable {
    /// How a contact who writes to several accounts is owned (`ROUTING.md` step 3).
    public enum MultiTouch: String, Codable, Sendable { case primary, unified, context, separate }

    public var id: String
    public var name: String
    public var timezone: String
    public var businessHours: [String: [String]]?
    public var closedDates: [String]
    public var multiTouch: MultiTouch
    public var admins: [String]

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, timezone, businessHours, closedDates, multiTouch, admins }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? id
        timezone = try container.decode(String.self, forKey: .timezone)
        businessHours = try container.decodeIfPresent([String: [String]].self, forKey: .businessHours)
        closedDates = try container.decodeIfPresent([String].self, forKey: .closedDates) ?? []
        multiTouch = try container.decodeIfPresent(MultiTouch.self, forKey: .multiTouch) ?? .primary
        admins = try container.decodeIfPresent([String].self, forKey: .admins) ?? []
    }

    /// The business hours as a schedule; nil when the location is always open.
    public func hours() throws(ScheduleError) -> Schedule? {
        guard let businessHours else { return closedDates.isEmpty ? nil : try Schedule(days: Schedule.always.days, closedDates: closedDates) }
        return try Schedule(days: businessHours, closedDates: closedDates)
    }
}

/// A messaging account: WhatsApp number, SMS/iMessage line or Twilio number.
public struct Account: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var platform: Platform
    public var address: String
    /// The short name in the account's default tag, `whatsnap-account-<short name>` (the seed's
    /// form, e.g. `sales` for "Sales Line"); the name's slug when absent.
    public var shortName: String?
    /// The tag every contact of the account carries in GoHighLevel.
    public var tag: String
    public var assignment: Assignment?

    enum CodingKeys: String, CodingKey, CaseIterable { case id, name, platform, address, shortName, tag, assignment }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? id
        platform = try container.decode(Platform.self, forKey: .platform)
        address = try container.decode(String.self, forKey: .address)
        shortName = try container.decodeIfPresent(String.self, forKey: .shortName)
        tag = try container.decodeIfPresent(String.self, forKey: .tag) ?? "whatsnap-account-" + Account.slug(shortName ?? name)
        assignment = try container.decodeIfPresent(Assignment.self, forKey: .assignment)
    }

    /// `Sales Line` → `sales-line`.
    public static func slug(_ name: String) -> String {
        var slug = ""
        for character in name.lowercased() {
            if character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        return String(slug.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed())
    }
}

/// Where an account, tag entry or rule sends a contact (`CONFIG.md`, "An assignment").
public struct Assignment: Codable, Sendable, Equatable {
    public var target: Target
    public var afterHours: Target?
    public var backup: [Target]
    public var requireOnShift: Bool
    /// Skills every candidate must have (`users[].skills`); one without them is not eligible.
    public var requireSkills: [String]
    /// How long the user this assignment picks has to reply before the contact is decided
    /// afresh without them (nil: no limit).
    public var replyWithin: ReplyWindow?
    /// Whether `replyWithin` counts every second or only business hours.
    public var replyClock: ReplyClock
    /// How many times a contact may be moved for want of a reply before the admins are told.
    public var maxReassignments: Int

    public static let defaultMaxReassignments = 2

    public init(
        target: Target, afterHours: Target? = nil, backup: [Target] = [], requireOnShift: Bool = true, requireSkills: [String] = [],
        replyWithin: ReplyWindow? = nil, replyClock: ReplyClock = .wall, maxReassignments: Int = Assignment.defaultMaxReassignments
    ) {
        self.target = target
        self.afterHours = afterHours
        self.backup = backup
        self.requireOnShift = requireOnShift
        self.requireSkills = requireSkills
        self.replyWithin = replyWithin
        self.replyClock = replyClock
        self.maxReassignments = maxReassignments
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case target, afterHours, backup, requireOnShift, requireSkills, replyWithin, replyClock, maxReassignments
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encodeIfPresent(afterHours, forKey: .afterHours)
        try container.encode(backup, forKey: .backup)
        try container.encode(requireOnShift, forKey: .requireOnShift)
        if !requireSkills.isEmpty { try container.encode(requireSkills, forKey: .requireSkills) }
        if let replyWithin {
            try container.encode(replyWithin.description, forKey: .replyWithin)
            try container.encode(replyClock, forKey: .replyClock)
            try container.encode(maxReassignments, forKey: .maxReassignments)
        }
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        target = try container.decode(Target.self, forKey: .target)
        afterHours = try container.decodeIfPresent(Target.self, forKey: .afterHours)
        backup = try container.decodeIfPresent([Target].self, forKey: .backup) ?? []
        requireOnShift = try container.decodeIfPresent(Bool.self, forKey: .requireOnShift) ?? true
        requireSkills = try container.decodeIfPresent([String].self, forKey: .requireSkills) ?? []
        if let text = try container.decodeIfPresent(String.self, forKey: .replyWithin) {
            guard let window = ReplyWindow(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .replyWithin, in: container, debugDescription: "\"\(text)\" is not a duration such as 15m, 2h or 1h30m (at most 30d)")
            }
            replyWithin = window
        } else {
            replyWithin = nil
        }
        replyClock = try container.decodeIfPresent(ReplyClock.self, forKey: .replyClock) ?? .wall
        maxReassignments = try container.decodeIfPresent(Int.self, forKey: .maxReassignments) ?? Assignment.defaultMaxReassignments
        guard (0...20).contains(maxReassignments) else {
            throw DecodingError.dataCorruptedError(forKey: .maxReassignments, in: container, debugDescription: "must be between 0 and 20")
        }
    }
}

/// `tags[]`: contacts carrying `tag` are assigned with `assignment`.
public struct TagEntry: Codable, Sendable, Equatable {
    public var tag: String
    public var assignment: Assignment

    enum CodingKeys: String, CodingKey, CaseIterable { case tag, assignment }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tag = try container.decode(String.self, forKey: .tag)
        assignment = try container.decode(Assignment.self, forKey: .assignment)
    }
}

/// `rules[]`: the first enabled rule (ascending priority, ties in file order) whose conditions
/// all hold chooses the assignment.
public struct Rule: Codable, Sendable, Equatable {
    public var id: String
    public var priority: Int
    public var enabled: Bool
    public var when: Conditions
    public var then: Assignment

    enum CodingKeys: String, CodingKey, CaseIterable { case id, priority, enabled, when, then }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        when = try container.decodeIfPresent(Conditions.self, forKey: .when) ?? Conditions()
        then = try container.decode(Assignment.self, forKey: .then)
    }
}

/// A rule's `when`: every present condition must hold.
public struct Conditions: Codable, Sendable, Equatable {
    public var accounts: [String]?
    public var platforms: [Platform]?
    public var source: [String]?
    /// `new` or `existing`.
    public var contact: String?
    /// `business` or `after`.
    public var hours: String?
    public var tagsAny: [String]?
    public var tagsNone: [String]?
    /// A case-insensitive regular expression on the message text.
    public var text: String?
    public var previouslyOwned: Bool?
    /// Country calling codes (`"34"`, `"+52"`): holds when the contact's E.164 number starts with
    /// one of them.
    public var countryCodes: [String]?
    /// Language codes (`"es"`): holds when the contact carries the tag `lang:<code>` or
    /// `language:<code>` (case-insensitive), as a form, a person or a workflow set it.
    public var languages: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case accounts, platforms, source, contact, hours, tagsAny, tagsNone, text, previouslyOwned, countryCodes, languages
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accounts = try container.decodeIfPresent([String].self, forKey: .accounts)
        platforms = try container.decodeIfPresent([Platform].self, forKey: .platforms)
        source = try container.decodeIfPresent([String].self, forKey: .source)
        contact = try container.decodeIfPresent(String.self, forKey: .contact)
        hours = try container.decodeIfPresent(String.self, forKey: .hours)
        tagsAny = try container.decodeIfPresent([String].self, forKey: .tagsAny)
        tagsNone = try container.decodeIfPresent([String].self, forKey: .tagsNone)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        previouslyOwned = try container.decodeIfPresent(Bool.self, forKey: .previouslyOwned)
        countryCodes = try container.decodeIfPresent([String].self, forKey: .countryCodes)
        languages = try container.decodeIfPresent([String].self, forKey: .languages)
    }

    /// Whether `address` (E.164) starts with one of `codes` (with or without their `+`).
    public static func address(_ address: String, hasCountryCodeIn codes: [String]) -> Bool {
        guard address.hasPrefix("+") else { return false }
        return codes.contains { code in
            let digits = code.filter(\.isNumber)
            return !digits.isEmpty && address.dropFirst().hasPrefix(digits)
        }
    }

    /// The languages `tags` declare (`lang:es`, `language:es`), lowercased.
    public static func languages(of tags: [String]) -> Set<String> {
        Set(tags.compactMap { tag -> String? in
            let lowered = tag.lowercased()
            for prefix in ["lang:", "language:"] where lowered.hasPrefix(prefix) { return String(lowered.dropFirst(prefix.count)) }
            return nil
        })
    }
}
