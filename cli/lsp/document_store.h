// The documents the client has open: their text as last sent, version, and the front end's
// view of them (diagnostics, symbols), recomputed on every change. Bounded: kMaxDocuments open
// at once, each at most the size of a policy file (kPolicyFileLimits).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sluice/lang/frontend.h"

namespace sluice::cli::lsp {

inline constexpr size_t kMaxDocuments = 256;

struct Document {
    std::string uri;
    std::string name;  // the path for a file: URI (imports resolve beside it), else the URI
    std::string text;
    int64_t version = 0;
    // The front end's run on `text`; `root` is the text's file id in its sources (0 when the
    // text was refused before parsing, see `refusal`).
    std::unique_ptr<lang::Frontend> frontend;
    uint32_t root = 0;
    std::string refusal;

    // The URI of a file of this run: the document's own for the root, else file://PATH.
    std::string uriOfFile(uint32_t file) const;
};

class DocumentStore {
public:
    explicit DocumentStore(lang::FrontendOptions options) : options_(std::move(options)) {}

    // Opens (or replaces) `uri` and analyses it; null when kMaxDocuments are open already.
    Document* open(const std::string& uri, std::string text, int64_t version);
    // New text for an open document; re-analyses it. Null when `uri` is not open.
    Document* update(const std::string& uri, std::string text, int64_t version);
    void close(const std::string& uri) { documents_.erase(uri); }
    Document* find(const std::string& uri);

private:
    void analyse(Document& doc);

    lang::FrontendOptions options_;
    std::map<std::string, Document> documents_;
};

}  // namespace sluice::cli::lsp
