// The in-process store: the tables under a mutex.
#include <mutex>

#include "sluice/controller/store.h"

namespace sluice::controller {
namespace {

class MemoryStore final : public Store {
  public:
    explicit MemoryStore(StoreLimits limits) : limits_(limits) {}

    Expected<Tables> read() override {
        std::lock_guard lock(mu_);
        return tables_;
    }
    Expected<uint64_t> revision() override {
        std::lock_guard lock(mu_);
        return tables_.revision;
    }
    CommitResult commit(const std::vector<Write>& writes) override {
        std::lock_guard lock(mu_);
        return applyWrites(tables_, writes, limits_);
    }
    std::string describe() const override { return "memory"; }

  private:
    std::mutex mu_;
    StoreLimits limits_;
    Tables tables_;
};

}  // namespace

std::unique_ptr<Store> makeMemoryStore(StoreLimits limits) {
    return std::make_unique<MemoryStore>(limits);
}

}  // namespace sluice::controller
