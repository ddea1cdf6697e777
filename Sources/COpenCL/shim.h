// OpenCL ICD loader (Debian: ocl-icd-opencl-dev, opencl-headers). Target 1.2 core; newer calls are loaded when present.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
