{
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-fno-fast-math"],
    "cflags_cc!": ["-fno-exceptions"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"]
    }
  },
  "targets": [
    {
      "target_name": "weft_isa_avx512",
      "type": "static_library",
      "sources": ["isa-avx512.cc"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-mavx512f", "-mfma", "-Wno-maybe-uninitialized"]}]]
    },
    {
      "target_name": "weft_isa_avx2",
      "type": "static_library",
      "sources": ["isa-avx2.cc"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-mavx2", "-mfma"]}]]
    },
    {
      "target_name": "weft_native",
      "sources": ["binding.cc", "gemm-scalar.cc", "csr.cc", "optim.cc", "memory.cc", "sample.cc", "mask.cc", "gather.cc", "xxh32.cc"],
      "dependencies": ["weft_isa_avx512", "weft_isa_avx2"]
    }
  ]
}
