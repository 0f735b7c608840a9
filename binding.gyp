{
  "targets": [
    {
      "target_name": "deepten",
      "sources": [
        "native/addon.cc", "native/threads.cc", "native/matmul.cc", "native/conv.cc", "native/direct_conv.cc", "native/winograd.cc",
        "native/pool.cc", "native/elementwise.cc", "native/reduce.cc", "native/norm.cc", "native/indexing.cc",
        "native/optim.cc", "native/shape.cc", "native/rnn.cc", "native/attention.cc",
        "native/word2vec.cc", "native/loss.cc"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      # Built on the machine that runs it (npm install), so tuned for this CPU. No -ffast-math: kernels keep IEEE
      # NaN/inf behaviour; these flags only let the compiler vectorize sqrt, conditionals and the loops marked
      # `omp simd` (no OpenMP runtime is linked).
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-fexceptions"],
      "conditions": [
        ["OS=='mac'", {
          "libraries": ["-framework Accelerate"],
          "defines": ["ACCELERATE_NEW_LAPACK"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"]
          },
          "conditions": [
            ["target_arch=='arm64'", { "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mcpu=native"] } }],
            ["target_arch=='x64'", { "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-march=native"] } }]
          ]
        }],
        ["OS!='mac'", {
          # include/library flags of the BLAS the install script found (pkg-config openblas, or its fallback)
          "cflags_cc": ["<!@(node scripts/build-native.mjs --cflags)"],
          "libraries": ["<!@(node scripts/build-native.mjs --libs)"]
        }],
        # full-width AVX-512 vectors: the transcendental loops (exp, tanh, gelu…) run ~30% faster than with the
        # 256-bit default GCC picks for recent Intel cores
        ["target_arch=='x64' and OS!='mac'", { "cflags_cc": ["-mprefer-vector-width=512"] }]
      ]
    }
  ]
}
