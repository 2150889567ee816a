// A bounded mutation fuzzer for toolchains without libFuzzer (g++): replays the corpus, then
// mutates it (byte flips, inserts, deletes, splices of corpus pieces and grammar tokens) for a fixed
// number of iterations with a fixed seed, so every CI run is the same and finishes in seconds.
// Usage: <target> CORPUS_DIR [ITERATIONS [SEED]] (another SEED explores other mutations; CI uses
// the default so every run is the same).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const char* const kTokens[] = {"{", "}", "\n", " ", "\"", "#", "!", "virtual_server ", "real_server ",
                               "include ", "192.0.2.1 ", "fd00::1 ", "80 ", "70000 ", "-20 ", "lb_kind ",
                               "FNAT ", "lb_algo ", "mh ", "weight ", "local_address_group ", "static_ipaddress ",
                               "dev ", "global_defs ", "laddr_group_name ", "persistence_timeout ", "\\",
                               "vrrp_instance ", "vrrp_script ", "vrrp_sync_group ", "group ", "state ", "MASTER ",
                               "interface ", "virtual_router_id ", "priority ", "advert_int ", "0.01 ", "version ",
                               "virtual_ipaddress ", "virtual_ipaddress_excluded ", "unicast_peer ", "unicast_src_ip ",
                               "authentication ", "auth_type ", "PASS ", "auth_pass ", "track_script ",
                               "track_interface ", "nopreempt ", "preempt_delay ", "notify_master ", "script ",
                               "vrrp_version ", "vrrp_garp_master_delay ", "sync_group_tracking_weight ", "255 "};

std::vector<std::string> loadCorpus(const std::string& dir) {
  std::vector<std::string> corpus;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    corpus.push_back(ss.str());
  }
  if (corpus.empty()) corpus.emplace_back("");
  return corpus;
}

std::string mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int rounds = 1 + static_cast<int>(pick(8));
  for (int i = 0; i < rounds; ++i) {
    switch (pick(5)) {
      case 0: if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256)); break;
      case 1: s.insert(pick(s.size() + 1), kTokens[pick(std::size(kTokens))]); break;
      case 2: if (!s.empty()) { size_t at = pick(s.size()); s.erase(at, pick(s.size() - at) % 64 + 1); } break;
      case 3: {
        const std::string& other = corpus[pick(corpus.size())];
        if (!other.empty()) { size_t at = pick(other.size()); s.insert(pick(s.size() + 1), other.substr(at, pick(other.size() - at) % 256 + 1)); }
        break;
      }
      default: s.insert(pick(s.size() + 1), std::string(pick(64) + 1, "{}\n"[pick(3)])); break;
    }
  }
  return s.size() > (1u << 20) ? s.substr(0, 1u << 20) : s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS [SEED]]\n", argv[0]);
    return 2;
  }
  long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 20000;
  auto corpus = loadCorpus(argv[1]);
  for (const auto& c : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  const unsigned long seed = argc > 3 ? std::strtoul(argv[3], nullptr, 0) : 0xd1;
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  for (long i = 0; i < iterations; ++i) {
    auto input = mutate(corpus[i % static_cast<long>(corpus.size())], corpus, rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%ld inputs ran without a crash\n", iterations + static_cast<long>(corpus.size()));
  return 0;
}
