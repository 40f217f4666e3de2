// Policy lookups by name (linear: policies have tens of ports and layers, and these are not
// on any packet path).
#include "sluice/lang/model.h"

namespace sluice::lang {

namespace {
template <typename T>
int findByName(const std::vector<T>& items, std::string_view name) {
    for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].name == name) return static_cast<int>(i);
    }
    return -1;
}
}  // namespace

int Policy::findPort(std::string_view name) const { return findByName(ports, name); }
int Policy::findLayer(std::string_view name) const { return findByName(layers, name); }
int Policy::findRouteTable(std::string_view name) const { return findByName(routeTables, name); }
int Policy::findEcmpGroup(std::string_view name) const { return findByName(ecmpGroups, name); }

}  // namespace sluice::lang
