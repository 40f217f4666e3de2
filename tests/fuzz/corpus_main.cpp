// main() of a fuzz target built as a plain executable (no libFuzzer): runs
// LLVMFuzzerTestOneInput on every file of the directories (or files) given, as the ctest
// `fuzz_<target>_corpus` tests do over tests/fuzz/corpus/<target>/. An input that breaks a
// target's contract aborts; a clean run prints the number of inputs and exits 0.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    const std::string name = argc > 0 ? fs::path(argv[0]).filename().string() : "fuzz";
    size_t count = 0;
    auto runFile = [&](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // A heap copy of exactly the input's size, so that ASan builds catch over-reads.
        auto* copy = new uint8_t[data.size() + (data.empty() ? 1 : 0)];
        std::copy(data.begin(), data.end(), copy);
        LLVMFuzzerTestOneInput(copy, data.size());
        delete[] copy;
        ++count;
    };
    for (int i = 1; i < argc; ++i) {
        fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            for (const auto& e : fs::recursive_directory_iterator(arg)) {
                if (e.is_regular_file() && e.path().filename() != "README.md") runFile(e.path());
            }
        } else {
            runFile(arg);
        }
    }
    if (count == 0) {
        std::cerr << "usage: " << name << " CORPUS_DIR|FILE...  (no inputs found)\n";
        return 2;
    }
    std::cout << name << ": " << count << " inputs, no crash\n";
    return 0;
}
