#!/usr/bin/env bash
# The OpenCL GEMM row of BENCHMARKS.md: CLBlast's sgemm (Debian's libclblast-dev, a peer used only
# here, never linked by acc) beside acc's own GEMM on the same OpenCL device, same sizes, same run.
# Usage: bash bench/clblast_sgemm.sh [DEVICE_INDEX] [RUNS] [SIZES...]   (defaults: 0 10 512 1024)
# DEVICE_INDEX counts OpenCL devices in platform order, as acc's opencl:N ids do.
set -euo pipefail
cd "$(dirname "$0")/.."
index=${1:-0}
runs=${2:-10}
shift $(( $# > 2 ? 2 : $# ))
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(512 1024)
if ! dpkg-query -W -f='${Status}' libclblast-dev 2>/dev/null | grep -q "install ok installed"; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libclblast-dev >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The peer harness: a tiny C program timing CLBlastSgemm (row-major, no transposes) with events.
cat > "$work/clblast_sgemm.c" <<'C'
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  int index = atoi(argv[1]), runs = atoi(argv[2]);
  cl_platform_id platforms[16]; cl_uint platformCount = 0;
  if (clGetPlatformIDs(16, platforms, &platformCount) != CL_SUCCESS) { fprintf(stderr, "no OpenCL platform\n"); return 1; }
  cl_device_id device = NULL; int seen = 0;
  for (cl_uint p = 0; p < platformCount && !device; ++p) {
    cl_device_id devices[16]; cl_uint count = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 16, devices, &count) != CL_SUCCESS) continue;
    for (cl_uint d = 0; d < count; ++d, ++seen) if (seen == index) { device = devices[d]; break; }
  }
  if (!device) { fprintf(stderr, "no OpenCL device %d\n", index); return 1; }
  char name[256]; clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
  cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, NULL);
  cl_command_queue queue = clCreateCommandQueue(context, device, 0, NULL);
  for (int s = 3; s < argc; ++s) {
    size_t n = (size_t)atoi(argv[s]);
    float *host = malloc(n * n * sizeof(float));
    for (size_t i = 0; i < n * n; ++i) host[i] = (float)((i * 2654435761u) & 0xFFFF) / 32768.0f - 1.0f;
    cl_mem a = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * n * sizeof(float), host, NULL);
    cl_mem b = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * n * sizeof(float), host, NULL);
    cl_mem c = clCreateBuffer(context, CL_MEM_READ_WRITE, n * n * sizeof(float), NULL, NULL);
    double *times = malloc(sizeof(double) * runs);
    for (int r = -2; r < runs; ++r) {
      double start = now();
      cl_event event = NULL;
      CLBlastStatusCode status = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, n, n, n, 1.0f,
                                              a, 0, n, b, 0, n, 0.0f, c, 0, n, &queue, &event);
      if (status != CLBlastSuccess) { fprintf(stderr, "CLBlastSgemm failed: %d\n", status); return 1; }
      clWaitForEvents(1, &event);
      clReleaseEvent(event);
      if (r >= 0) times[r] = now() - start;
    }
    qsort(times, runs, sizeof(double), cmp);
    double median = times[runs / 2];
    printf("gemm  %zu  opencl:%d (%s)  clblast sgemm  %.3f ms  %.1f GFLOP/s\n", n, index, name, median * 1e3, 2.0 * n * n * n / median / 1e9);
    clReleaseMemObject(a); clReleaseMemObject(b); clReleaseMemObject(c); free(host); free(times);
  }
  return 0;
}
C
cc -O2 -o "$work/clblast_sgemm" "$work/clblast_sgemm.c" -lclblast -lOpenCL
swift build -c release --product acctl >/dev/null
echo "CLBlast (first run of a size tunes nothing; CLBlast uses its database or defaults for this device):"
"$work/clblast_sgemm" "$index" "$runs" "${sizes[@]}"
echo "acc on the same device (the gemm suite is 512, 1024, 2048):"
.build/release/acctl bench --suite gemm --device "opencl:$index" --repeat "$runs"
