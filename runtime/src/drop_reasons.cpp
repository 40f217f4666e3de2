// Names and descriptions of the drop reasons, from the one list (drop_reasons.def).
#include "sluice/runtime/flow.h"

namespace sluice::rt {

namespace {

constexpr const char* kNames[] = {
#define SLUICE_DROP_REASON(name, text, summary) text,
#include "sluice/runtime/drop_reasons.def"
};
constexpr const char* kSummaries[] = {
#define SLUICE_DROP_REASON(name, text, summary) summary,
#include "sluice/runtime/drop_reasons.def"
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kDropReasonCount);

}  // namespace

const char* dropReasonName(DropReason reason) {
    auto i = static_cast<size_t>(reason);
    return i < kDropReasonCount ? kNames[i] : "unknown";
}

const char* dropReasonSummary(DropReason reason) {
    auto i = static_cast<size_t>(reason);
    return i < kDropReasonCount ? kSummaries[i] : "unknown drop reason";
}

}  // namespace sluice::rt
