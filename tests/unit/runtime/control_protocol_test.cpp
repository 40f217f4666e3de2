// The control request parser (runtime/src/control_protocol.h): shapes and types of requests,
// and the reply line.
#include "control_protocol.h"

#include <gtest/gtest.h>

namespace sluice::rt {
namespace {

TEST(ControlProtocol, ParsesEveryCommand) {
    auto s = parseControlRequest(R"({"cmd": "stats", "format": "prometheus"})" "\n");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->cmd, ControlCommand::Stats);
    EXPECT_EQ(s->format, "prometheus");

    auto l = parseControlRequest(R"({"cmd": "sessions", "limit": 7, "port": "vm1"})");
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_EQ(l->cmd, ControlCommand::Sessions);
    EXPECT_EQ(l->limit, 7u);
    EXPECT_EQ(l->port, "vm1");
    EXPECT_EQ(l->format, "text");

    auto t = parseControlRequest(R"({"cmd": "trace", "packet": "tcp 1.1.1.1:1 -> 2.2.2.2:2",)"
                                 R"( "dir": "in", "port": "vm2", "format": "json"})");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->cmd, ControlCommand::Trace);
    EXPECT_EQ(t->packet, "tcp 1.1.1.1:1 -> 2.2.2.2:2");
    EXPECT_EQ(t->dir, "in");
    EXPECT_EQ(t->port, "vm2");

    auto f = parseControlRequest(R"({"cmd": "flush"})");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->cmd, ControlCommand::Flush);
    EXPECT_EQ(f->port, "");
}

// `ctl monitor` (issue 14 item 4): subscribe with filters, take and stop by id.
TEST(ControlProtocol, MonitorRequests) {
    auto s = parseControlRequest(
        R"({"cmd": "monitor", "op": "subscribe", "port": "web1", "verdict": "deny", "format": "json"})");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->cmd, ControlCommand::Monitor);
    EXPECT_EQ(s->op, "subscribe");
    EXPECT_EQ(s->port, "web1");
    EXPECT_EQ(s->verdict, "deny");
    auto t = parseControlRequest(R"({"cmd": "monitor", "op": "take", "id": 7})");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->id, 7u);
    EXPECT_FALSE(parseControlRequest(R"({"cmd": "monitor"})").ok());
    EXPECT_FALSE(parseControlRequest(R"({"cmd": "monitor", "op": "watch"})").ok());
    EXPECT_FALSE(parseControlRequest(R"({"cmd": "monitor", "op": "subscribe", "verdict": "maybe"})").ok());
    EXPECT_FALSE(parseControlRequest(R"({"cmd": "monitor", "op": "take", "id": "x"})").ok());
}

TEST(ControlProtocol, BadRequestsAreErrors) {
    struct Case {
        const char* request;
        const char* mentions;
    } cases[] = {
        {"", "bad request"},
        {"stats", "bad request"},
        {"[1]", "bad request"},
        {R"({"format": "json"})", "bad request"},
        {R"({"cmd": 1})", "bad request"},
        {R"({"cmd": "reboot"})", "unknown command 'reboot'"},
        {R"({"cmd": "trace"})", "trace needs \"packet\""},
        {R"({"cmd": "trace", "packet": 5})", "type must be string"},
        {R"({"cmd": "stats", "format": []})", "type must be string"},
        {R"({"cmd": "sessions", "limit": "ten"})", "type must be number"},
    };
    for (const auto& c : cases) {
        auto r = parseControlRequest(c.request);
        ASSERT_FALSE(r.ok()) << c.request;
        EXPECT_NE(r.error().message.find(c.mentions), std::string::npos)
            << c.request << ": " << r.error().message;
    }
}

TEST(ControlProtocol, ReplyIsOneJsonLine) {
    EXPECT_EQ(controlReply(true, "a\nb"), "{\"ok\":true,\"output\":\"a\\nb\"}\n");
    EXPECT_EQ(controlReply(false, "no"), "{\"error\":\"no\",\"ok\":false}\n");
}

}  // namespace
}  // namespace sluice::rt
