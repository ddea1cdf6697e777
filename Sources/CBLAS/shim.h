// OpenBLAS's cblas.h (Debian: libopenblas-dev), which also declares openblas_set_num_threads.
#include <cblas.h>
