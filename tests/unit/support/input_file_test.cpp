// The one input reader (support/input_file.h): never blocks on a FIFO or a device, never
// reads past its bound, refuses long lines and binary data with a named problem.
#include "sluice/support/input_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sluice {
namespace {

class Scratch {
public:
    Scratch() {
        dir_ = std::filesystem::temp_directory_path() /
               ("sluice_input_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    ~Scratch() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& text) {
        std::string p = (dir_ / name).string();
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

private:
    std::filesystem::path dir_;
};

constexpr InputLimits kSmall{64, 8, true};

TEST(InputFile, ReadsARegularTextFile) {
    Scratch s;
    InputFile f = readInputFile(s.write("a.txt", "one\ntwo\n"), kSmall);
    ASSERT_TRUE(f.ok()) << f.reason;
    EXPECT_EQ(f.text, "one\ntwo\n");
}

TEST(InputFile, RefusesWhatIsNotARegularFile) {
    Scratch s;
    std::string fifo = s.path("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    InputFile f = readInputFile(fifo, kSmall);  // no writer: a blocking open would hang
    EXPECT_EQ(f.problem, InputProblem::NotRegular);
    EXPECT_EQ(f.reason, "not a regular file (a FIFO)");
    EXPECT_EQ(readInputFile("/dev/zero", kSmall).problem, InputProblem::NotRegular);
    EXPECT_EQ(readInputFile("/dev/zero", kSmall).reason, "not a regular file (a character device)");
    EXPECT_EQ(readInputFile(s.path(""), kSmall).problem, InputProblem::NotRegular);
    EXPECT_EQ(readInputFile(s.path("missing"), kSmall).problem, InputProblem::NotFound);
}

TEST(InputFile, SizeBoundIsCheckedBeforeReading) {
    Scratch s;
    EXPECT_TRUE(readInputFile(s.write("ok", std::string(64, '\n')), kSmall).ok());
    InputFile f = readInputFile(s.write("big", std::string(65, '\n')), kSmall);
    EXPECT_EQ(f.problem, InputProblem::TooLarge);
    EXPECT_TRUE(f.text.empty());
    std::string sparse = s.write("sparse", "");
    ASSERT_EQ(::truncate(sparse.c_str(), 1ll << 40), 0);  // 1 TiB, nothing read
    EXPECT_EQ(readInputFile(sparse, kSmall).problem, InputProblem::TooLarge);
}

TEST(InputFile, LineLengthAndTextChecksNameTheLine) {
    Scratch s;
    EXPECT_TRUE(readInputFile(s.write("ok", "12345678\nab"), kSmall).ok());
    InputFile f = readInputFile(s.write("long", "ok\n123456789\n"), kSmall);
    EXPECT_EQ(f.problem, InputProblem::LineTooLong);
    EXPECT_EQ(f.line, 2u);
    InputFile nul = readInputFile(s.write("nul", std::string("a\nb\n\0", 5)), kSmall);
    EXPECT_EQ(nul.problem, InputProblem::NotText);
    EXPECT_EQ(nul.line, 3u);
    EXPECT_EQ(readInputFile(s.write("latin1", "caf\xe9\n"), kSmall).problem, InputProblem::NotText);
    EXPECT_TRUE(readInputFile(s.write("utf8", "caf\xc3\xa9\n"), kSmall).ok());
    InputLimits binary{64, 64, false};
    EXPECT_TRUE(readInputFile(s.write("bin", std::string("\0\xff", 2)), binary).ok());
}

TEST(InputFile, Utf8Validation) {
    EXPECT_EQ(firstInvalidUtf8("plain"), 5u);
    EXPECT_EQ(firstInvalidUtf8("\xe2\x82\xac"), 3u);          // U+20AC
    EXPECT_EQ(firstInvalidUtf8("\xf0\x9f\x98\x80"), 4u);      // U+1F600
    EXPECT_EQ(firstInvalidUtf8("a\xc0\xaf"), 1u);             // overlong '/'
    EXPECT_EQ(firstInvalidUtf8("\xed\xa0\x80"), 0u);          // surrogate
    EXPECT_EQ(firstInvalidUtf8("\xf4\x90\x80\x80"), 0u);      // above U+10FFFF
    EXPECT_EQ(firstInvalidUtf8("ab\xe2\x82"), 2u);            // truncated
    EXPECT_EQ(firstInvalidUtf8("\x80"), 0u);                  // lone continuation
}

}  // namespace
}  // namespace sluice
