// main() of the emulator's C++ test programs; see harness.h.
#include "harness.h"

int main(int argc, char** argv) {
  using emu_test::cases;
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& c : cases()) std::printf("%s\n", c.name);
    return 0;
  }
  int failed = 0, ran = 0;
  for (const auto& c : cases()) {
    bool wanted = argc == 1;
    for (int i = 1; i < argc; ++i) wanted |= std::strcmp(argv[i], c.name) == 0;
    if (!wanted) continue;
    ++ran;
    try {
      c.run();
      std::printf("PASS %s\n", c.name);
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s: %s\n", c.name, e.what());
    }
    std::fflush(stdout);
  }
  if (ran != (argc == 1 ? static_cast<int>(cases().size()) : argc - 1)) {
    std::printf("FAIL: some named cases do not exist\n");
    return 1;
  }
  return failed ? 1 : 0;
}
