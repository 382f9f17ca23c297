// SPDX-License-Identifier: Apache-2.0
//
// bench_diffusion: full-size SD 1.5 and sd-turbo (SD 2.1-shaped) networks with
// random weights on libtorch, timed in one run beside the machine's fp32 GEMM
// peak and stable-diffusion.cpp on the random SD 1.5 checkpoint. See
// BENCHMARKS.md ("Diffusion") and --help.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/diffusion/archs.h"
#include "bench/diffusion/compare.h"
#include "bench/diffusion/measure.h"
#include "bench/diffusion/overhead.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/taesd.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"

namespace ebb::bench {
namespace {

namespace d = ebb::inference::diffusion;

constexpr char kUsage[] =
    "usage: bench_diffusion [--KEY=VALUE ...]\n"
    "  --threads=2          libtorch intra-op threads\n"
    "  --reps=3             timed runs per measurement (after 1 warm-up)\n"
    "  --archs=sd15,sd-turbo\n"
    "  --sizes=256,512      image sizes (square) for UNet and VAE\n"
    "  --cfg_sizes=256,512  sizes at which the batch-2 (cfg > 1) UNet is "
    "timed\n"
    "  --profile=512        per-op profile of one SD 1.5 UNet eval at this\n"
    "                       size (0: none)\n"
    "  --mallopt=1          glibc malloc tuned as ebb-diffusion does (0: off)\n"
    "  --peers=DIR          ../shared/peers/sdcpp or ../../shared/peers/sdcpp "
    "(gemm_peak.py, flops_sd15.py)\n"
    "  --sd_cli=PATH        stable-diffusion.cpp's sd-cli\n"
    "                       (default /tmp/sdcpp/build/bin/sd-cli; '' = skip)\n"
    "  --checkpoint=PATH    random SD 1.5 single file for sd-cli\n"
    "                       (default /tmp/sd15-random.safetensors)\n"
    "  --sdcpp_cases=WxH:STEPS:SAMPLER:CFG,...  sd-cli alone, against the\n"
    "                       random-weight timings above (default none)\n"
    "  --work_dir=/tmp/ebb-bench-diffusion  logs and images\n"
    "  --compare=256:1,256:7,512:1,512:7  SIZE:CFG cases of the same-file "
    "comparison\n"
    "                       (ebb and sd-cli, euler 1 step, PSNR; '' = skip)\n";

std::map<std::string, std::string> g_flags = {
    {"threads", "2"},
    {"reps", "3"},
    {"archs", "sd15,sd-turbo"},
    {"sizes", "256,512"},
    {"profile", "512"},
    {"cfg_sizes", "256,512"},
    {"mallopt", "1"},
    {"peers", std::filesystem::exists(EBB_SOURCE_DIR "/../shared/peers/sdcpp")
                  ? EBB_SOURCE_DIR "/../shared/peers/sdcpp"
                  : EBB_SOURCE_DIR "/../../shared/peers/sdcpp"},
    {"sd_cli", "/tmp/sdcpp/build/bin/sd-cli"},
    {"checkpoint", "/tmp/sd15-random.safetensors"},
    {"sdcpp_cases", ""},
    {"work_dir", "/tmp/ebb-bench-diffusion"},
    {"compare", "256:1,256:7,512:1,512:7"},
};
int Int(const char* k) { return std::stoi(g_flags[k]); }

std::string LoadAvg() {
  auto s = RunCommand("cut -d' ' -f1-3 /proc/loadavg");
  return s.ok() ? std::string(absl::StripAsciiWhitespace(*s)) : "?";
}

// Composite per-image cost of one arch at one size and guidance (text
// encoder + 1 UNet eval + VAE decode), from the medians.
// best_wall_s sums the parts' best runs (the "best of 3" of the turbo target).
struct ImageCost {
  double wall_s = 0, cpu_s = 0, best_wall_s = 0;
};
std::map<std::string, ImageCost> g_images;  // "sd15 512 cfg1"
std::map<std::string, double> g_unet_wall;  // "sd15 512"
std::optional<Overhead> g_overhead;

void Add(ImageCost& c, const Costs& x) {
  c.wall_s += x.MedianWall();
  c.cpu_s += x.MedianCpu();
  c.best_wall_s += x.MinWall();
}

void BenchArch(const ArchJson& a, const std::vector<int>& sizes, int reps,
               const std::map<int, double>& unet_gflop, double peak) {
  std::set<int> cfg_sizes;
  for (auto s : absl::StrSplit(g_flags["cfg_sizes"], ',', absl::SkipEmpty())) {
    cfg_sizes.insert(std::stoi(std::string(s)));
  }
  auto te_c = d::ParseClipTextConfig(a.text_encoder);
  auto unet_c = d::ParseUNetConfig(a.unet);
  auto vae_c = d::ParseVaeConfig(a.vae);
  if (!te_c.ok() || !unet_c.ok() || !vae_c.ok()) {
    std::fprintf(stderr, "bad config for %s\n", a.name);
    std::exit(1);
  }
  RandomSource src(1);
  std::optional<d::ClipTextEncoder> te;
  std::optional<d::UNet> unet;
  std::optional<d::VaeDecoder> vae;
  std::optional<d::TaesdDecoder> taesd;
  Cost load = Measure([&] {
    taesd = *d::TaesdDecoder::Load(src, d::TaesdConfig{});
    te = *d::ClipTextEncoder::Load(src, *te_c);
    unet = *d::UNet::Load(src, *unet_c);
    vae = *d::VaeDecoder::Load(src, *vae_c);
  });
  std::printf(
      "\n== %s: %.0f M parameters (random N(0, 0.02), fp32), built in %.1f s, "
      "RSS %.0f MB\n",
      a.name, src.parameters() / 1e6, load.wall_s, CurrentRssMb());
  c10::InferenceMode guard;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const int64_t dim = te_c->hidden_size;
  std::map<int, Costs> te_cost;
  for (int batch : {1, 2}) {
    at::Tensor ids = at::randint(0, 49408, {batch, 77}, gen, at::kLong);
    (void)*te->Forward(ids);
    te_cost[batch] = Repeat(reps, [&] { (void)*te->Forward(ids); });
    std::printf("text encoder, batch %d: %s\n", batch,
                te_cost[batch].Describe().c_str());
  }
  for (int size : sizes) {
    const int64_t l = size / 8;
    for (int batch : {1, 2}) {
      if (batch == 2 && !cfg_sizes.count(size)) continue;
      at::Tensor x = at::randn({batch, 4, l, l}, gen, at::kFloat);
      at::Tensor t = at::full({batch}, 999.0, at::kFloat);
      at::Tensor ctx = at::randn({batch, 77, dim}, gen, at::kFloat);
      Cost cold = Measure([&] { (void)*unet->Forward(x, t, ctx); });
      Costs c = Repeat(reps, [&] { (void)*unet->Forward(x, t, ctx); });
      std::printf("UNet %dx%d batch %d: %s (first %.2f s)", size, size, batch,
                  c.Describe().c_str(), cold.wall_s);
      auto f = unet_gflop.find(size);
      if (std::string(a.name) == "sd15" && f != unet_gflop.end()) {
        double g = batch * f->second / c.MinWall();
        std::printf(" -> %.0f GFLOP/s best = %.0f %% of GEMM peak", g,
                    100 * g / peak);
      }
      std::printf("\n");
      if (batch == 1)
        g_unet_wall[absl::StrFormat("%s %d", a.name, size)] = c.MinWall();
      ImageCost img;
      Add(img, te_cost[batch]);
      Add(img, c);
      g_images[absl::StrFormat("%s %d cfg%d", a.name, size,
                               batch == 2 ? 7 : 1)] = img;
    }
    at::Tensor z = at::randn({1, 4, l, l}, gen, at::kFloat);
    at::Tensor image;
    Cost cold = Measure([&] { image = *vae->Decode(z); });
    Costs c = Repeat(reps, [&] { image = *vae->Decode(z); });
    std::printf("VAE decode %dx%d: %s (first %.2f s)\n", size, size,
                c.Describe().c_str(), cold.wall_s);
    Cost tcold = Measure([&] { (void)*taesd->Decode(z); });
    Costs tc = Repeat(reps, [&] { (void)*taesd->Decode(z); });
    std::printf("TAESD decode %dx%d: %s (first %.2f s)\n", size, size,
                tc.Describe().c_str(), tcold.wall_s);
    for (int cfg : {1, 7}) {
      auto it =
          g_images.find(absl::StrFormat("%s %d cfg%d", a.name, size, cfg));
      if (it == g_images.end()) continue;
      ImageCost with_taesd = it->second;
      Add(with_taesd, tc);
      g_images[it->first + " taesd"] = with_taesd;
      Add(it->second, c);
    }
    if (size == 512 && std::string(a.name) == "sd15") {
      g_overhead = MeasureOverhead(image);
    }
  }
  std::printf("peak RSS so far %.0f MB\n", PeakRssMb());
  int prof = Int("profile");
  if (prof > 0 && std::string(a.name) == "sd15") {
    const int64_t l = prof / 8;
    at::Tensor x = at::randn({1, 4, l, l}, gen, at::kFloat);
    at::Tensor t = at::full({1}, 999.0, at::kFloat);
    at::Tensor ctx = at::randn({1, 77, dim}, gen, at::kFloat);
    ScopedOpProfile p;
    Cost c = Measure([&] { (void)*unet->Forward(x, t, ctx); });
    std::printf("profile of one UNet eval at %dx%d (%.2f s with callbacks):\n",
                prof, prof, c.wall_s);
    double total = 0;
    for (const auto& r : p.Rows()) total += r.ms;
    int shown = 0;
    for (const auto& r : p.Rows()) {
      if (shown++ == 14) break;
      std::printf("  %-32s %8.0f ms %5.1f %% %6lld calls\n", r.op.c_str(), r.ms,
                  100 * r.ms / total, static_cast<long long>(r.calls));
    }
  }
}

void BenchSdCpp(const std::string& sd_cli, const std::string& ckpt,
                const std::string& work) {
  std::printf("\n== stable-diffusion.cpp (%s) on %s, %s threads\n",
              sd_cli.c_str(), ckpt.c_str(), g_flags["threads"].c_str());
  for (auto spec :
       absl::StrSplit(g_flags["sdcpp_cases"], ',', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(spec, ':');
    std::vector<std::string> wh = absl::StrSplit(f.at(0), 'x');
    SdCppCase c;
    c.width = std::stoi(wh.at(0));
    c.height = std::stoi(wh.at(1));
    c.steps = std::stoi(f.at(1));
    c.sampler = f.at(2);
    c.cfg = std::stod(f.at(3));
    c.threads = Int("threads");
    c.out_png = absl::StrFormat("%s/sdcpp_%s.png", work, f.at(0));
    std::printf("load avg before: %s\n", LoadAvg().c_str());
    auto r = RunSdCpp(sd_cli, ckpt, c, work);
    if (!r.ok()) {
      std::printf("%s: %s\n", std::string(spec).c_str(),
                  std::string(r.status().message()).c_str());
      continue;
    }
    std::printf(
        "%-22s text %.2f s, sampling %.2f s, decode %.2f s, generate %.2f s; "
        "wall %.1f s, cpu-s %.1f, peak RSS %.0f MB\n",
        std::string(spec).c_str(), r->text_s, r->sampling_s, r->decode_s,
        r->generate_s, r->wall_s, r->cpu_s, r->rss_mb);
    auto it = g_images.find(
        absl::StrFormat("sd15 %d cfg%d", c.width, c.cfg > 1 ? 7 : 1));
    if (it != g_images.end() && c.steps == 1) {
      std::printf(
          "   ebb same case (text + %s UNet + VAE, medians): wall %.2f s, "
          "cpu-s %.2f -> ratio ebb/sd.cpp cpu-s %.2f (target <= 0.5), wall "
          "%.2f\n",
          c.cfg > 1 ? "batch-2" : "1", it->second.wall_s, it->second.cpu_s,
          it->second.cpu_s / r->cpu_s, it->second.wall_s / r->generate_s);
    }
  }
}

}  // namespace
}  // namespace ebb::bench

int main(int argc, char** argv) {
  using namespace ebb::bench;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos ||
        !g_flags.count(a.substr(2, eq - 2))) {
      std::fprintf(stderr, "bench_diffusion: unknown argument %s\n%s",
                   a.c_str(), kUsage);
      return 2;
    }
    g_flags[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  if (Int("mallopt")) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 1 << 30);
  }
  at::set_num_threads(Int("threads"));
  const std::string work = g_flags["work_dir"], peers = g_flags["peers"];
  (void)RunCommand("mkdir -p '" + work + "'");
  auto blas = RunCommand(
      "readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu "
      "2>/dev/null");
  std::printf("bench_diffusion: %d libtorch threads, mallopt %s, BLAS %s",
              at::get_num_threads(), Int("mallopt") ? "on" : "off",
              blas.ok() ? blas->c_str() : "?\n");
  std::printf("load avg at start: %s; nice %d\n", LoadAvg().c_str(), nice(0));

  const double torch_peak = GemmPeakGflops(2048, 8);
  auto np = RunCommand("OPENBLAS_NUM_THREADS=" + g_flags["threads"] +
                       " /usr/bin/python3 '" + peers + "/gemm_peak.py' 2048");
  // The machine's peak is the better of the two (libtorch's at::mm has
  // measured at half of OpenBLAS called from numpy).
  double np_peak = 0;
  if (np.ok() && np->find("-> ") != std::string::npos) {
    np_peak = std::atof(np->c_str() + np->find("-> ") + 3);
  }
  const double peak = std::max(torch_peak, np_peak);
  std::printf(
      "GEMM fp32 peak: libtorch at::mm 2048^3 best of 8: %.0f GFLOP/s; "
      "numpy/OpenBLAS (gemm_peak.py): %s -> peak used: %.0f GFLOP/s\n",
      torch_peak,
      np.ok() ? std::string(absl::StripAsciiWhitespace(*np)).c_str()
              : "not run",
      peak);
  std::map<int, double> unet_gflop;
  std::vector<int> sizes;
  for (auto s : absl::StrSplit(g_flags["sizes"], ',', absl::SkipEmpty())) {
    sizes.push_back(std::stoi(std::string(s)));
    auto fl = RunCommand(absl::StrFormat(
        "/usr/bin/python3 '%s/flops_sd15.py' %s", peers, std::string(s)));
    double g = 0;
    if (fl.ok() &&
        std::sscanf(fl->c_str() + fl->find("one eval") + 9, "%lf", &g) == 1) {
      unet_gflop[sizes.back()] = g;
    }
    std::printf("flops_sd15.py %s: %s", std::string(s).c_str(),
                fl.ok() ? fl->c_str() : "not run\n");
  }
  for (auto name : absl::StrSplit(g_flags["archs"], ',', absl::SkipEmpty())) {
    const ArchJson& a = name == "sd-turbo" ? kSdTurbo : kSd15;
    BenchArch(a, sizes, Int("reps"), unet_gflop, peak);
  }
  std::printf(
      "\nper image (text encoder + UNet evals + VAE decode, medians):\n");
  for (const auto& [k, v] : g_images) {
    std::printf("  %-24s wall %6.2f s (best %6.2f s)  cpu-s %6.2f\n", k.c_str(),
                v.wall_s, v.best_wall_s, v.cpu_s);
  }
  if (g_overhead) {
    for (const char* k :
         {"sd15 512 cfg1", "sd-turbo 512 cfg1", "sd-turbo 512 cfg1 taesd",
          "sd15 256 cfg1", "sd15 256 cfg1 taesd"}) {
      auto it = g_images.find(k);
      if (it == g_images.end()) continue;
      std::printf(
          "outside the forward passes, %s: %.2f ms of %.2f s = %.3f %% "
          "(target <= 2 %%; store + ack: see BENCHMARKS.md queue/s3)\n",
          k, g_overhead->RequestMs(), it->second.wall_s,
          100 * g_overhead->RequestMs() / 1e3 / it->second.wall_s);
    }
  }
  for (const char* k : {"sd-turbo 512 cfg1 taesd", "sd-turbo 512 cfg1"}) {
    auto turbo = g_images.find(k);
    if (turbo == g_images.end()) continue;
    std::printf(
        "%s, 1 step: best %.2f s wall, median %.2f s (target with TAESD <= "
        "10 s best of 3), cpu-s %.2f\n",
        k, turbo->second.best_wall_s, turbo->second.wall_s,
        turbo->second.cpu_s);
  }
  const std::string sd_cli = g_flags["sd_cli"];
  if (!sd_cli.empty()) BenchSdCpp(sd_cli, g_flags["checkpoint"], work);
  if (!sd_cli.empty() && !g_flags["compare"].empty()) {
    std::vector<CompareCase> cases;
    for (auto spec :
         absl::StrSplit(g_flags["compare"], ',', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(spec, ':');
      cases.push_back({std::stoi(f.at(0)), std::stod(f.at(1))});
    }
    CompareWithSdCpp(g_flags["checkpoint"], sd_cli, cases, Int("threads"),
                     work);
  }
  std::printf("\npeak RSS %.0f MB; load avg at end: %s\n", PeakRssMb(),
              LoadAvg().c_str());
  return 0;
}
