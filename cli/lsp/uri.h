// file:// URIs (RFC 8089 as VS Code and Neovim send them) to paths and back. Other schemes
// (`untitled:`) have no path: the URI itself names the document.
#pragma once

#include <optional>
#include <string>

namespace sluice::cli::lsp {

// "/home/a/x.sl" for "file:///home/a/x.sl" (percent-decoded); nullopt for other schemes or
// a malformed escape or a decoded NUL.
std::optional<std::string> uriToPath(const std::string& uri);
// "file:///home/a/x.sl" for an absolute path (relative ones are made absolute first).
std::string pathToUri(const std::string& path);

}  // namespace sluice::cli::lsp
