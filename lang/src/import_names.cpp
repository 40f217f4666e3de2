#include "import_names.h"

#include <cctype>
#include <set>

namespace sluice::lang {

std::string identifierFrom(const std::string& name, const std::string& prefix) {
    std::string s;
    for (char ch : name) s += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') ? ch : '_';
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = prefix + s;
    // Words of the language that a foreign name could be.
    static const std::set<std::string> kReserved = {
        "port", "layer", "group", "rule", "routes", "ecmp", "meter", "credit", "const", "import",
        "in", "out", "match", "action", "allow", "deny", "default", "priority", "assert",
        "gateway", "drop", "uplink", "lpm", "stateful", "terminating", "idle", "set", "encap",
        "decap", "route", "vxlan", "vni", "src", "dst", "member", "weight", "hash", "probe"};
    if (kReserved.count(s)) s = prefix + s;
    return s;
}

}  // namespace sluice::lang
