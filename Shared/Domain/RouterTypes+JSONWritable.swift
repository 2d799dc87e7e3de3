import Foundation
public import SwitchboardCodec

// Written for every decision (contact state, rotation, trace, answer); each writes the members
// its `CodingKeys` name, as `JSONEncoder` would.

extension ContactState: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("location", location)
        writer.member("address", address)
        writer.member("name", name)
        writer.member("owner", owner)
        writer.member("ownerAccount", ownerAccount)
        writer.member("manual", manual)
        writer.member("open", open)
        writer.member("tags", tags)
        writer.member("firstSource", firstSource)
        writer.member("lastAccount", lastAccount)
        writer.member("lastText", lastText)
        writer.member("lastSource", lastSource)
        writer.member("lastPlatform", lastPlatform)
        writer.member("threads", threads)
        writer.member("ownerHistory", ownerHistory)
        if let replyDeadline { writer.member("replyDeadline", replyDeadline) }
        if let queuedFor { writer.member("queuedFor", queuedFor) }
        if let queuedAt { writer.member("queuedAt", queuedAt) }
        writer.endObject()
    }
}

extension ReplyDeadline: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("user", user)
        writer.member("due", due)
        writer.member("window", window)
        writer.member("reassignments", reassignments)
        writer.member("maxReassignments", maxReassignments)
        writer.endObject()
    }
}

extension RotationState: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("lastPicked", lastPicked)
        writer.member("totals", totals)
        writer.endObject()
    }
}

extension TraceCandidate: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("user", user)
        writer.member("eligible", eligible)
        writer.member("reasons", reasons)
        writer.endObject()
    }
}

extension TraceTarget: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("role", role)
        writer.member("target", target)
        writer.member("candidates", candidates)
        writer.member("pick", pick)
        writer.endObject()
    }
}

extension DecisionTrace: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("event", event)
        writer.member("steps", steps)
        writer.member("rules", rules)
        writer.member("targets", targets)
        writer.endObject()
    }
}

extension RouteAnswer: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("contact", contact)
        writer.member("owner", owner)
        writer.member("reason", reason)
        writer.member("user", user)
        writer.endObject()
    }
}
