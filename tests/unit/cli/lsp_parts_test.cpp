// The parts of `sluice lsp` (cli/lsp/) on their own: frame reading on hostile bytes, UTF-16
// and byte columns, file URIs, and the document store's bounds. The whole server is driven
// by a scripted client in lsp_test.cpp.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "lsp/document_store.h"
#include "lsp/framing.h"
#include "lsp/text_positions.h"
#include "lsp/uri.h"

namespace {

using namespace sluice::cli::lsp;

std::string frame(const std::string& body) { return frameMessage(body); }

TEST(LspFraming, ReadsFramesAndResynchronisesAfterGarbage) {
    std::istringstream in("garbage line\r\n\r\n" + frame("{\"a\":1}") + "\r\n" +
                          "content-length:  2 \r\nContent-Type: x\r\n\r\n{}" +
                          "Content-Length: -3\r\n\r\n" + "Content-Length: 5\r\n\r\nabc");
    FrameReader reader(in);
    FrameRead r = reader.next();
    EXPECT_EQ(r.status, FrameRead::Status::Dropped);
    EXPECT_EQ(r.problem, "header line without ':'");
    r = reader.next();
    ASSERT_EQ(r.status, FrameRead::Status::Message);
    EXPECT_EQ(r.body, "{\"a\":1}");
    r = reader.next();  // the stray line end is skipped; header names are case-insensitive
    ASSERT_EQ(r.status, FrameRead::Status::Message);
    EXPECT_EQ(r.body, "{}");
    r = reader.next();
    EXPECT_EQ(r.status, FrameRead::Status::Dropped);
    EXPECT_EQ(r.problem, "invalid Content-Length '-3'");
    r = reader.next();
    EXPECT_EQ(r.status, FrameRead::Status::End);
    EXPECT_EQ(r.problem, "input ended inside a message body");
}

TEST(LspFraming, AnOversizedBodyIsSkippedNotKept) {
    const size_t limit = 64;
    std::string big(limit + 1, '{');
    std::istringstream in("Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big +
                          frame("[]"));
    FrameReader reader(in, limit);
    FrameRead r = reader.next();
    EXPECT_EQ(r.status, FrameRead::Status::Dropped);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.problem.find("exceeds the limit"), std::string::npos) << r.problem;
    r = reader.next();
    ASSERT_EQ(r.status, FrameRead::Status::Message);
    EXPECT_EQ(r.body, "[]");
}

TEST(LspFraming, LongHeaderLinesAreBounded) {
    std::istringstream in(std::string(kMaxHeaderLine * 4, 'x') + "\r\n\r\n" + frame("1"));
    FrameReader reader(in);
    FrameRead r = reader.next();
    EXPECT_EQ(r.status, FrameRead::Status::Dropped);
    EXPECT_NE(r.problem.find("longer than"), std::string::npos);
    EXPECT_EQ(reader.next().body, "1");
}

TEST(LspPositions, Utf16UnitsAndBytes) {
    // "é" is 2 bytes and 1 unit, "😀" 4 bytes and 2 units.
    const std::string line = "a\xc3\xa9" "b\xf0\x9f\x98\x80" "c";
    EXPECT_EQ(utf16Length(line, 1), 1u);
    EXPECT_EQ(utf16Length(line, 3), 2u);
    EXPECT_EQ(utf16Length(line, 8), 5u);
    EXPECT_EQ(utf16Length(line, line.size()), 6u);
    EXPECT_EQ(byteOffsetOfUtf16(line, 2), 3u);    // 'b'
    EXPECT_EQ(byteOffsetOfUtf16(line, 5), 8u);    // 'c'
    EXPECT_EQ(byteOffsetOfUtf16(line, 4), 4u);    // inside the surrogate pair: its start
    EXPECT_EQ(byteOffsetOfUtf16(line, 999), line.size());  // past the end: the end
}

TEST(LspPositions, InclusiveByteRangesBecomeExclusiveUtf16Ranges) {
    sluice::lang::SourceManager sources;
    uint32_t file = sources.add("x.sl", "// \xc3\xa9\nconst \xc3\xa9X = 1;\n");
    // "éX" on line 2: bytes 7..9 (1-based, the last character 'X' at byte 9).
    auto range = lspRange(sources, {{file, 2, 7}, {file, 2, 9}});
    EXPECT_EQ(range["start"], (nlohmann::json{{"line", 1}, {"character", 6}}));
    EXPECT_EQ(range["end"], (nlohmann::json{{"line", 1}, {"character", 8}}));
    // A range ending on a multi-byte character ends after all of it.
    range = lspRange(sources, {{file, 1, 4}, {file, 1, 4}});
    EXPECT_EQ(range["end"], (nlohmann::json{{"line", 0}, {"character", 4}}));
    EXPECT_FALSE(sourceLocation(sources, file, 3, 0).has_value());  // past the document
    EXPECT_TRUE(sourceLocation(sources, file, 2, 0).has_value());   // the empty last line
    EXPECT_EQ(sourceLocation(sources, file, 1, 7)->col, 9u);        // 'X'
}

TEST(LspUri, FileUrisRoundTrip) {
    EXPECT_EQ(uriToPath("file:///a/b%20c.sl"), "/a/b c.sl");
    EXPECT_EQ(uriToPath("file://localhost/x.sl"), "/x.sl");
    EXPECT_FALSE(uriToPath("untitled:Untitled-1").has_value());
    EXPECT_FALSE(uriToPath("file:///a%00b").has_value());
    EXPECT_FALSE(uriToPath("file:///a%2").has_value());
    EXPECT_FALSE(uriToPath("file://otherhost/x.sl").has_value());
    EXPECT_EQ(pathToUri("/a/b c\xc3\xa9.sl"), "file:///a/b%20c%C3%A9.sl");
    EXPECT_EQ(uriToPath(pathToUri("/tmp/x y/p.sl")), "/tmp/x y/p.sl");
}

TEST(LspDocumentStore, BoundsTheTextOfAllDocumentsTogether) {
    DocumentStore store({}, 40);
    Document* a = store.open("untitled:a", std::string(30, ' '), 1);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->refusal.empty()) << a->refusal;
    Document* b = store.open("untitled:b", std::string(20, ' '), 1);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(b->refusal.find("together"), std::string::npos);
    EXPECT_TRUE(b->text.empty());  // not kept
    store.close("untitled:a");
    b = store.update("untitled:b", std::string(20, ' '), 2);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->refusal.empty()) << b->refusal;
    EXPECT_EQ(store.update("untitled:nope", "", 1), nullptr);
}

TEST(LspDocumentStore, RefusesWhatAPolicyFileMayNotHold) {
    DocumentStore store({});
    EXPECT_NE(store.open("untitled:n", std::string("const A = 1;\0", 13), 1)->refusal.find("NUL"),
              std::string::npos);
    EXPECT_NE(store.open("untitled:l", std::string(70000, 'a'), 1)->refusal.find("line"),
              std::string::npos);
    EXPECT_EQ(store.open("untitled:ok", "const A = 1;\n", 1)->root, 1u);
}

}  // namespace
