// The documents the client has open: their text as last sent, version, and the front end's
// view of them (diagnostics, symbols), recomputed on every change. Bounded: kMaxDocuments open
// at once, each at most the size of a policy file (kPolicyFileLimits), kMaxDocumentBytes together.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sluice/lang/frontend.h"

namespace sluice::cli::lsp {

inline constexpr size_t kMaxDocuments = 256;
// Text of all open documents together: the front end keeps a copy and a tree of each.
inline constexpr size_t kMaxDocumentBytes = 128u << 20;

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
    explicit DocumentStore(lang::FrontendOptions options, size_t maxBytes = kMaxDocumentBytes)
        : options_(std::move(options)), maxBytes_(maxBytes) {}

    // Opens (or replaces) `uri` and analyses it; null when kMaxDocuments are open already.
    // Text past `maxBytes` (all documents together) is not kept: the document is
    // refused with a diagnostic saying so.
    Document* open(const std::string& uri, std::string text, int64_t version);
    // New text for an open document; re-analyses it. Null when `uri` is not open.
    Document* update(const std::string& uri, std::string text, int64_t version);
    void close(const std::string& uri);
    Document* find(const std::string& uri);

private:
    void setText(Document& doc, std::string text);
    void analyse(Document& doc);

    lang::FrontendOptions options_;
    std::map<std::string, Document> documents_;
    size_t maxBytes_;
    size_t totalBytes_ = 0;  // of every document's text
};

}  // namespace sluice::cli::lsp
