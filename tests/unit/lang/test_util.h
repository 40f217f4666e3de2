// Helpers for the front-end unit tests: load a snippet, look for diagnostics by id.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "sluice/lang/frontend.h"

namespace sluice::lang::test {

struct Loaded {
    std::shared_ptr<const Policy> policy;
    std::vector<Diagnostic> diags;
    std::string text;  // printText output
    std::string json;
};

inline Loaded loadSnippet(const std::string& src, FrontendOptions options = {},
                          const std::string& name = "test.sl") {
    Frontend fe(std::move(options));
    Loaded out;
    out.policy = fe.loadString(name, src);
    out.diags = fe.diags().diagnostics();
    std::ostringstream s;
    fe.diags().printText(s);
    out.text = s.str();
    out.json = fe.diags().toJson();
    return out;
}

inline size_t countId(const Loaded& l, const std::string& id) {
    size_t n = 0;
    for (const Diagnostic& d : l.diags) n += diagId(d.kind) == id ? 1 : 0;
    return n;
}

inline const Diagnostic* findId(const Loaded& l, const std::string& id) {
    for (const Diagnostic& d : l.diags) {
        if (diagId(d.kind) == id) return &d;
    }
    return nullptr;
}

// A minimal valid port for snippets that need one.
inline const char* kPort =
    "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n";

// A layer `l` with one outbound group holding `rules`.
inline std::string layerWith(const std::string& rules) {
    return std::string(kPort) + "layer l {\n out {\n  group g priority 1 {\n" + rules +
           "\n  }\n }\n}\n";
}

// A scratch directory removed at the end of the test.
class TempDir {
public:
    TempDir() {
        path_ = std::filesystem::temp_directory_path() /
                ("sluice_lang_test_" + std::to_string(::getpid()) + "_" +
                 std::to_string(counter()++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string write(const std::string& rel, const std::string& text) const {
        auto p = path_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    const std::filesystem::path& path() const { return path_; }

private:
    static int& counter() {
        static int c = 0;
        return c;
    }
    std::filesystem::path path_;
};

}  // namespace sluice::lang::test
