import Foundation
import SwitchboardCodec
public import SwitchboardDomain

/// A configuration with its business hours, time zone and rule expressions parsed: the part of
/// an engine that is the same for every decision of a configuration version.
public struct CompiledRouting: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable once made and safe to share for matching.
    public let config: LocationConfig
    let hours: Schedule?
    let zone: TimeZone
    let rulePatterns: [String: NSRegularExpression]

    public init(_ config: LocationConfig) throws {
        self.config = config
        hours = try config.location.hours()
        zone = try TimeZones.named(config.location.timezone)
        var patterns: [String: NSRegularExpression] = [:]
        for rule in config.rules {
            if let text = rule.when.text {
                patterns[rule.id] = try NSRegularExpression(pattern: text, options: [.caseInsensitive])
            }
        }
        rulePatterns = patterns
    }
}

/// The assignment engine: `ROUTING.md`, exactly. Given the location's configuration, the
/// contact's state, an event and a ``RoutingWorld``, it returns a ``Decision`` (new contact
/// state, notifications, rotation changes, trace) without writing anything; the router commits
/// it in one transaction, `simulate` replays it on a scratch world.
public struct RoutingEngine: Sendable {
    public let config: LocationConfig
    let world: any RoutingWorld
    let hours: Schedule?
    let zone: TimeZone
    let rulePatterns: [String: NSRegularExpression]

    public init(config: LocationConfig, world: any RoutingWorld) throws {
        self.init(compiled: try CompiledRouting(config), world: world)
    }

    /// An engine over an already compiled configuration (compiled once per configuration version).
    public init(compiled: CompiledRouting, world: any RoutingWorld) {
        config = compiled.config
        self.world = world
        hours = compiled.hours
        zone = compiled.zone
        rulePatterns = compiled.rulePatterns
    }

    var location: String { config.location.id }

    /// Whether `instant` is inside the location's business hours (no hours: always).
    func isBusinessHours(_ instant: Date) -> Bool {
        hours?.isOpen(at: instant, in: zone) ?? true
    }

    // MARK: Inbound message

    /// Steps 1–8 for one inbound message to `account`.
    ///
    /// A contact that writes again after it was resolved is written to the CRM again, owner
    /// and tags, even when nothing changed here: it may have been resolved because it was
    /// deleted in GoHighLevel, where this recreates it.
    public func inbound(_ message: InboundMessage, account: Account, contact existing: ContactState?) throws -> Decision {
        var decision = try decideInbound(message, account: account, contact: existing)
        if existing?.open == false { decision.crmChanged = true }
        return decision
    }

    private func decideInbound(_ message: InboundMessage, account: Account, contact existing: ContactState?) throws -> Decision {
        var contact = existing ?? ContactState(location: location, address: message.contact)
        let isNew = existing == nil
        let tagsBefore = contact.tags
        if contact.name == nil { contact.name = message.contactName }
        if !contact.tags.contains(account.tag) { contact.tags.append(account.tag) }
        if contact.firstSource == nil { contact.firstSource = message.source }
        contact.lastAccount = account.id
        contact.lastText = message.text
        contact.lastSource = message.source
        contact.lastPlatform = message.platform
        contact.open = true
        var trace = DecisionTrace(event: "\(isNew ? "new" : "existing") contact \(message.contact) wrote to \(account.name) (\(account.platform) \(account.address)) at \(RFC3339.format(message.at))")
        let tagsChanged = contact.tags != tagsBefore

        if contact.manual, let owner = contact.owner {
            trace.steps.append("\(owner) was assigned by a person: kept.")
            var decision = Decision(contact: contact, user: owner, reason: .manual, account: account.id, trace: trace)
            decision.notifications = try notify([owner], kind: .message, at: message.at)
            decision.crmChanged = tagsChanged
            return decision
        }

        let event = Facts(at: message.at, text: message.text, source: message.source, account: account, isNew: isNew)
        switch config.location.multiTouch {
        case .separate:
            if let assignee = contact.threads[account.id] {
                trace.steps.append("The \(account.name) thread belongs to \(assignee): kept.")
                var decision = Decision(contact: contact, user: assignee, reason: .kept, account: account.id, trace: trace)
                decision.notifications = try notify([assignee], kind: .message, at: message.at)
                decision.crmChanged = tagsChanged
                return decision
            }
            return try decide(event, contact: contact, trace: trace, freshReason: nil, thread: true, excluding: nil, tagsChanged: tagsChanged)
        case .context:
            if let owner = contact.owner {
                if contact.ownerAccount == account.id {
                    trace.steps.append("\(owner) owns the contact for \(account.name): kept.")
                    var decision = Decision(contact: contact, user: owner, reason: .kept, account: account.id, trace: trace)
                    decision.notifications = try notify([owner], kind: .message, at: message.at)
                    decision.crmChanged = tagsChanged
                    return decision
                }
                trace.steps.append("\(owner) owns the contact for another account: decided afresh for \(account.name).")
                return try decide(event, contact: contact, trace: trace, freshReason: .contextSwitch, thread: false, excluding: nil, tagsChanged: tagsChanged)
            }
        case .primary, .unified:
            if let owner = contact.owner {
                let availability = try ownerAvailability(owner, account: account, at: message.at)
                if availability == .available {
                    trace.steps.append("\(owner) owns the contact and is available: kept.")
                    var decision = Decision(contact: contact, user: owner, reason: .kept, account: account.id, trace: trace)
                    decision.notifications = try notify([owner], kind: .message, at: message.at)
                    decision.crmChanged = tagsChanged
                    return decision
                }
                if config.location.multiTouch == .unified, availability == .gone {
                    trace.steps.append("\(owner) owns the contact but can no longer take it: decided afresh.")
                    return try decide(event, contact: contact, trace: trace, freshReason: .ownerUnavailable, thread: false, excluding: nil, tagsChanged: tagsChanged)
                }
                trace.steps.append("\(owner) owns the contact but is not available now: looking for a cover.")
                return try cover(event, contact: contact, owner: owner, trace: trace, tagsChanged: tagsChanged)
            }
        }
        return try decide(event, contact: contact, trace: trace, freshReason: nil, thread: false, excluding: nil, tagsChanged: tagsChanged)
    }

    /// What a fresh decision reads of the event: the message's time, text and source and the
    /// account it was written to (a drain takes them from the contact's latest message).
    struct Facts {
        var at: Date
        var text: String
        var source: MessageSource?
        var account: Account
        var isNew: Bool
    }

    enum Availability { case available, offShift, gone }

    /// Whether an owner can keep a contact: active, assignable, not away, and on shift when the
    /// written-to account's assignment requires it (no assignment: shift not required).
    func ownerAvailability(_ owner: String, account: Account, at: Date) throws -> Availability {
        guard let candidate = try world.candidates(location: location, target: .user(owner), at: at).first else { return .gone }
        let codes = Set(candidate.reasons.map(\.code))
        if !codes.isDisjoint(with: [.inactive, .notAssignable, .away]) { return .gone }
        if codes.contains(.offShift), account.assignment?.requireOnShift ?? false { return .offShift }
        return .available
    }

    // MARK: Cover (primary)

    private func cover(_ event: Facts, contact: ContactState, owner: String, trace: DecisionTrace, tagsChanged: Bool) throws -> Decision {
        var trace = trace
        var decision = Decision(contact: contact, user: owner, reason: .kept, account: event.account.id, trace: trace)
        decision.crmChanged = tagsChanged
        guard let assignment = event.account.assignment else {
            trace.steps.append("\(event.account.name) has no assignment to find a cover with: the owner is told.")
            decision.trace = trace
            decision.notifications = try notify([owner], kind: .message, at: event.at)
            return decision
        }
        var rotations: [String: RotationState] = [:]
        let result = try pick(assignment, contact: contact, at: event.at, fresh: false, excluding: nil, threads: false, trace: &trace, rotations: &rotations)
        decision.rotations = rotations
        if case .user(let cover, _) = result {
            trace.steps.append("\(cover.id) covers for \(owner).")
            decision.notifications = [NotificationEffect(user: cover.id, kind: .coverage, channels: cover.notify, name: cover.name)]
        } else {
            trace.steps.append("No one can cover: the owner is told.")
            decision.notifications = try notify([owner], kind: .message, at: event.at)
        }
        decision.trace = trace
        return decision
    }

    // MARK: Fresh decisions (steps 4–8)

    /// Chooses the assignment (rules, then tags, then the account) and picks.
    func decide(
        _ event: Facts, contact: ContactState, trace: DecisionTrace, freshReason: DecisionReason?, thread: Bool, excluding: Excluded?, tagsChanged: Bool, reassignments: Int = 0
    ) throws -> Decision {
        var trace = trace
        let chosen = chooseAssignment(event, contact: contact, trace: &trace)
        return try apply(chosen, contact: contact, account: event.account, at: event.at, trace: trace,
                         freshReason: freshReason, thread: thread, excluding: excluding, tagsChanged: tagsChanged, reassignments: reassignments)
    }

    /// Where an assignment came from.
    enum Source: Equatable {
        case rule(String)
        case tag(String)
        case account
    }

    func chooseAssignment(_ event: Facts, contact: ContactState, trace: inout DecisionTrace) -> (Assignment, Source)? {
        let ordered = config.rules.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element)
        for rule in ordered {
            guard rule.enabled else {
                trace.rules.append("Rule \(rule.id): disabled.")
                continue
            }
            if let failed = firstFailingCondition(rule, event, contact: contact) {
                trace.rules.append("Rule \(rule.id): \(failed).")
                continue
            }
            trace.rules.append("Rule \(rule.id): every condition holds; it decides.")
            return (rule.then, .rule(rule.id))
        }
        if let entry = config.tags.first(where: { contact.tags.contains($0.tag) }) {
            trace.steps.append("The contact carries tag \(entry.tag): its assignment decides.")
            return (entry.assignment, .tag(entry.tag))
        }
        if let assignment = event.account.assignment {
            trace.steps.append("No rule or tag applies: \(event.account.name)'s assignment decides.")
            return (assignment, .account)
        }
        trace.steps.append("No rule or tag applies and \(event.account.name) has no assignment.")
        return nil
    }

    /// The first condition of `rule` that does not hold, in words; nil when all hold.
    func firstFailingCondition(_ rule: Rule, _ event: Facts, contact: ContactState) -> String? {
        let when = rule.when
        if let accounts = when.accounts, !accounts.contains(event.account.id) { return "account \(event.account.id) is not one of \(accounts.joined(separator: ", "))" }
        if let platforms = when.platforms, !platforms.contains(event.account.platform) { return "platform \(event.account.platform) is not one of \(platforms.map(\.rawValue).joined(separator: ", "))" }
        if let sources = when.source {
            let source = event.source
            let values = [source?.type, source?.campaign].compactMap { $0?.lowercased() }
            if !sources.contains(where: { values.contains($0.lowercased()) }) {
                return "source \(source.map { "\($0.type)/\($0.campaign ?? "-")" } ?? "(none)") is not one of \(sources.joined(separator: ", "))"
            }
        }
        if let kind = when.contact, (kind == "new") != event.isNew { return "the contact is \(event.isNew ? "new" : "existing"), not \(kind)" }
        if let wanted = when.hours {
            let business = isBusinessHours(event.at)
            if (wanted == "business") != business { return "it is \(business ? "within" : "outside") business hours" }
        }
        if let any = when.tagsAny, !any.contains(where: contact.tags.contains) { return "the contact has none of the tags \(any.joined(separator: ", "))" }
        if let none = when.tagsNone, let present = none.first(where: contact.tags.contains) { return "the contact has tag \(present)" }
        if let pattern = rulePatterns[rule.id] {
            let text = event.text
            if pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { return "the text does not match /\(when.text ?? "")/" }
        }
        if let owned = when.previouslyOwned, owned == contact.ownerHistory.isEmpty {
            return owned ? "the contact was never owned" : "the contact was owned before"
        }
        if let codes = when.countryCodes, !Conditions.address(contact.address, hasCountryCodeIn: codes) {
            return "the number \(contact.address) has none of the country codes \(codes.joined(separator: ", "))"
        }
        if let languages = when.languages {
            let declared = Conditions.languages(of: contact.tags)
            if !languages.contains(where: { declared.contains($0.lowercased()) }) {
                return "the contact declares \(declared.isEmpty ? "no language" : "language \(declared.sorted().joined(separator: ", "))"), not \(languages.joined(separator: ", "))"
            }
        }
        return nil
    }

    /// Steps 5–8 for a chosen assignment (or none).
    func apply(
        _ chosen: (Assignment, Source)?, contact: ContactState, account: Account, at: Date, trace: DecisionTrace,
        freshReason: DecisionReason?, thread: Bool, excluding: Excluded?, tagsChanged: Bool, reassignments: Int = 0
    ) throws -> Decision {
        var trace = trace
        var contact = contact
        let previousOwner = contact.owner
        guard let (assignment, source) = chosen else {
            return try unassigned(contact: contact, previousOwner: previousOwner, thread: thread, account: account, reason: .noConfig,
                                        notifications: try notifyAdmins(at: at), trace: trace, tagsChanged: tagsChanged)
        }
        var rotations: [String: RotationState] = [:]
        let result = try pick(assignment, contact: contact, at: at, fresh: true, excluding: excluding, threads: thread, trace: &trace, rotations: &rotations)
        var decision: Decision
        switch result {
        case .user(let user, let via):
            var reason: DecisionReason
            switch source {
            case .rule: reason = .rule
            case .tag: reason = .tag
            case .account: reason = .account
            }
            if via == .afterHours { reason = .afterHours }
            if via == .backup { reason = .backup }
            if let freshReason { reason = freshReason }
            contact.queuedFor = nil
            contact.queuedAt = nil
            if thread {
                contact.threads[account.id] = user.id
                if contact.owner == nil {
                    contact.owner = user.id
                    contact.ownerAccount = account.id
                }
            } else if contact.owner == user.id {
                // ROUTING.md step 7: the reason still says a fresh decision was made
                // (`context_switch`, `owner_unavailable`); the owner is told of the message, and
                // under `context` now owns the contact for this account.
                trace.steps.append("The fresh decision picks the current owner \(user.id): kept.")
                contact.ownerAccount = account.id
                decision = Decision(contact: contact, user: user.id, reason: freshReason ?? .kept, account: account.id, trace: trace)
                decision.rotations = rotations
                decision.notifications = [NotificationEffect(user: user.id, kind: .message, channels: user.notify, name: user.name)]
                decision.crmChanged = tagsChanged
                return decision
            } else {
                contact.owner = user.id
                contact.ownerAccount = account.id
                contact.manual = false
                contact.replyDeadline = replyDeadline(assignment, user: user.id, at: at, reassignments: reassignments, trace: &trace)
            }
            if contact.ownerHistory.last != user.id { contact.ownerHistory.append(user.id) }
            decision = Decision(contact: contact, user: user.id, reason: reason, account: account.id, trace: trace)
            decision.notifications = [NotificationEffect(user: user.id, kind: .assigned, channels: user.notify, name: user.name)]
            decision.assigned = [user.id]
            decision.crmChanged = true
        case .queued(let team):
            let members = try world.candidates(location: location, target: .queue(team), at: at)
            let reachable = members.filter { $0.reasons.allSatisfy { !$0.code.unreachable } }
            if contact.queuedFor != team || contact.queuedAt == nil {
                contact.queuedFor = team
                contact.queuedAt = at
            }
            decision = try unassigned(
                contact: contact, previousOwner: previousOwner, thread: thread, account: account, reason: .queued,
                notifications: reachable.map { NotificationEffect(user: $0.id, kind: .queued, channels: $0.notify, name: $0.name) },
                trace: trace, tagsChanged: tagsChanged)
        case .noneTarget:
            decision = try unassigned(contact: contact, previousOwner: previousOwner, thread: thread, account: account, reason: .noneTarget,
                                            notifications: try notifyAdmins(at: at), trace: trace, tagsChanged: tagsChanged)
        case .nobody:
            decision = try unassigned(contact: contact, previousOwner: previousOwner, thread: thread, account: account, reason: .noEligibleUser,
                                            notifications: try notifyAdmins(at: at), trace: trace, tagsChanged: tagsChanged)
        }
        decision.rotations = rotations
        if case .rule(let id) = source { decision.rule = id }
        if case .tag(let tag) = source { decision.tag = tag }
        decision.strategy = assignment.target.mode?.rawValue ?? assignment.target.summary
        return decision
    }

    private func unassigned(
        contact: ContactState, previousOwner: String?, thread: Bool, account: Account, reason: DecisionReason, notifications: [NotificationEffect],
        trace: DecisionTrace, tagsChanged: Bool
    ) throws -> Decision {
        var contact = contact
        var trace = trace
        if reason != .queued {
            contact.queuedFor = nil
            contact.queuedAt = nil
        }
        if thread {
            contact.threads[account.id] = nil
        } else if previousOwner != nil {
            contact.owner = nil
            contact.ownerAccount = nil
            contact.manual = false
            contact.replyDeadline = nil
        }
        trace.steps.append("No one was assigned: \(reason).")
        var decision = Decision(contact: contact, user: nil, reason: reason, account: account.id, trace: trace)
        decision.notifications = notifications
        decision.crmChanged = tagsChanged || (!thread && previousOwner != nil)
        return decision
    }

    /// The reply `user` owes under `assignment`'s `replyWithin` from `at`, counted in wall or
    /// business time; nil when the assignment sets none (or business hours never open).
    func replyDeadline(_ assignment: Assignment, user: String, at: Date, reassignments: Int, trace: inout DecisionTrace) -> ReplyDeadline? {
        guard let window = assignment.replyWithin else { return nil }
        let due: Date?
        switch assignment.replyClock {
        case .wall: due = at.addingTimeInterval(Double(window.seconds))
        case .business: due = hours.map { $0.addingOpenTime(window.seconds, to: at, in: zone) } ?? at.addingTimeInterval(Double(window.seconds))
        }
        guard let due else {
            trace.steps.append("\(user) is to reply within \(window) of business hours, which do not open in the next 60 days: no deadline.")
            return nil
        }
        let clock = assignment.replyClock == .business ? " of business hours" : ""
        trace.steps.append("\(user) is to reply within \(window)\(clock): by \(RFC3339.format(due)).")
        return ReplyDeadline(user: user, due: due, window: window.description, reassignments: reassignments, maxReassignments: assignment.maxReassignments)
    }

    // MARK: Notifications

    func notify(_ users: [String], kind: NotificationKind, at: Date) throws -> [NotificationEffect] {
        var effects: [NotificationEffect] = []
        for user in users {
            let candidate = try world.candidates(location: location, target: .user(user), at: at).first
            effects.append(NotificationEffect(user: user, kind: kind, channels: candidate?.notify ?? [], name: candidate?.name))
        }
        return effects
    }

    /// `manual_required` to the location's admins who are active and not away.
    func notifyAdmins(at: Date) throws -> [NotificationEffect] {
        guard !config.location.admins.isEmpty else { return [] }
        let admins = try world.candidates(location: location, target: .pool(config.location.admins, .roundRobin, weights: [:]), at: at)
        return admins.filter { $0.reasons.allSatisfy { !$0.code.unreachable } }
            .map { NotificationEffect(user: $0.id, kind: .manualRequired, channels: $0.notify, name: $0.name) }
    }
}
