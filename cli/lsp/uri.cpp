// uriToPath / pathToUri (uri.h).
#include "lsp/uri.h"

#include <filesystem>

namespace sluice::cli::lsp {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

}  // namespace

std::optional<std::string> uriToPath(const std::string& uri) {
    const std::string scheme = "file://";
    if (uri.rfind(scheme, 0) != 0) return std::nullopt;
    std::string rest = uri.substr(scheme.size());
    // file://host/path: only the local host (empty or "localhost") is a path here.
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return std::nullopt;
    std::string host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") return std::nullopt;
    std::string path;
    for (size_t i = slash; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '%') {
            if (i + 2 >= rest.size()) return std::nullopt;
            int hi = hexValue(rest[i + 1]), lo = hexValue(rest[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
            path.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '?' || c == '#') {
            break;
        } else {
            path.push_back(c);
        }
    }
    return path;
}

std::string pathToUri(const std::string& path) {
    std::error_code ec;
    std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
    if (ec) abs = path;
    static const char* hex = "0123456789ABCDEF";
    std::string uri = "file://";
    for (unsigned char c : abs) {
        if (unreserved(c)) {
            uri.push_back(static_cast<char>(c));
        } else {
            uri.push_back('%');
            uri.push_back(hex[c >> 4]);
            uri.push_back(hex[c & 15]);
        }
    }
    return uri;
}

}  // namespace sluice::cli::lsp
