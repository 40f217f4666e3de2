#include "sluice/rsp/error.h"

namespace sluice::rsp {

const char* errorName(RspError e) {
    static constexpr const char* kNames[] = {
#define SLUICE_RSP_NAME(name, text) text,
        SLUICE_RSP_ERRORS(SLUICE_RSP_NAME)
#undef SLUICE_RSP_NAME
    };
    auto i = static_cast<size_t>(e);
    return i < kRspErrorCount ? kNames[i] : "invalid";
}

}  // namespace sluice::rsp
