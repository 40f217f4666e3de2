#include "sluice/support/spelling.h"

#include <algorithm>

namespace sluice {

size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cur = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1] ? 1 : 0)});
            prev = cur;
        }
    }
    return row[b.size()];
}

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
    std::string best;
    // Bounded so that adversarial input (huge names, thousands of errors) stays linear-ish.
    if (name.size() > 64) return best;
    size_t bestDist = std::max<size_t>(1, name.size() / 3) + 1;
    for (const std::string& c : candidates) {
        size_t lenDiff = c.size() > name.size() ? c.size() - name.size() : name.size() - c.size();
        if (lenDiff >= bestDist) continue;  // the distance is at least the length difference
        size_t d = editDistance(name, c);
        if (d < bestDist) {
            bestDist = d;
            best = c;
        }
    }
    return best;
}

}  // namespace sluice
