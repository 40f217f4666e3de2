// DocumentStore: each change runs a fresh front end on the in-memory text, named by the
// document's path so that `import "x.sl";` resolves beside the file on disk and `import std.X;`
// through the stdlib path, as `sluice check` does. The text is held to the rules of a policy
// file read from disk (size, line length, no NUL) before the parser sees it.
#include "lsp/document_store.h"

#include "lsp/uri.h"
#include "sluice/support/input_file.h"

namespace sluice::cli::lsp {

namespace {

// Why `text` may not be parsed, or empty.
std::string refusalOf(const std::string& text) {
    if (text.size() > kPolicyFileLimits.maxBytes) {
        return "document is larger than " + std::to_string(kPolicyFileLimits.maxBytes >> 20) +
               " MiB, the limit of a policy file";
    }
    size_t lineStart = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '\n') {
            if (i - lineStart > kPolicyFileLimits.maxLineBytes) {
                return "a line is longer than " +
                       std::to_string(kPolicyFileLimits.maxLineBytes >> 10) + " KiB";
            }
            lineStart = i + 1;
        } else if (text[i] == '\0') {
            return "document contains a NUL byte";
        }
    }
    if (firstInvalidUtf8(text) != text.size()) return "document is not valid UTF-8";
    return {};
}

}  // namespace

std::string Document::uriOfFile(uint32_t file) const {
    if (file == root) return uri;
    return pathToUri(frontend->sources().path(file));
}

Document* DocumentStore::open(const std::string& uri, std::string text, int64_t version) {
    auto it = documents_.find(uri);
    if (it == documents_.end()) {
        if (documents_.size() >= kMaxDocuments) return nullptr;
        it = documents_.emplace(uri, Document{}).first;
    }
    Document& doc = it->second;
    doc.uri = uri;
    doc.name = uriToPath(uri).value_or(uri);
    setText(doc, std::move(text));
    doc.version = version;
    analyse(doc);
    return &doc;
}

Document* DocumentStore::update(const std::string& uri, std::string text, int64_t version) {
    Document* doc = find(uri);
    if (doc == nullptr) return nullptr;
    setText(*doc, std::move(text));
    doc->version = version;
    analyse(*doc);
    return doc;
}

Document* DocumentStore::find(const std::string& uri) {
    auto it = documents_.find(uri);
    return it == documents_.end() ? nullptr : &it->second;
}

void DocumentStore::close(const std::string& uri) {
    auto it = documents_.find(uri);
    if (it == documents_.end()) return;
    totalBytes_ -= it->second.text.size();
    documents_.erase(it);
}

void DocumentStore::setText(Document& doc, std::string text) {
    totalBytes_ -= doc.text.size();
    doc.text.clear();
    doc.refusal.clear();
    if (text.size() > maxBytes_ - totalBytes_) {
        doc.refusal = "the open documents would hold more than " + std::to_string(maxBytes_) +
                      " bytes together; close some";
        return;
    }
    totalBytes_ += text.size();
    doc.text = std::move(text);
}

void DocumentStore::analyse(Document& doc) {
    doc.frontend = std::make_unique<lang::Frontend>(options_);
    doc.root = 0;
    if (doc.refusal.empty()) doc.refusal = refusalOf(doc.text);
    if (!doc.refusal.empty()) return;
    doc.frontend->loadString(doc.name, doc.text);
    // The root is the first file a fresh front end adds.
    if (doc.frontend->sources().fileCount() > 0) doc.root = 1;
}

}  // namespace sluice::cli::lsp
