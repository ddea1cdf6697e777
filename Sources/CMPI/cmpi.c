// Run-time binding of the MPI library (see include/cmpi.h).
#include "cmpi.h"
#include <dlfcn.h>
#include <stdio.h>

cmpi_table cmpi;

static void *resolve(void *library, const char *name, char *error, size_t error_size, int *failed) {
    void *symbol = dlsym(library, name);
    if (symbol == NULL && !*failed) {
        snprintf(error, error_size, "the MPI library has no symbol %s (llmatic needs Open MPI 4 or later)", name);
        *failed = 1;
    }
    return symbol;
}

int cmpi_load(const char *path, char *error, size_t error_size) {
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(error, error_size, "cannot load the MPI library %s: %s", path, why ? why : "unknown error");
        return -1;
    }
    int failed = 0;
    cmpi_table t;
    t.init_thread = (cmpi_init_thread_fn)resolve(library, "MPI_Init_thread", error, error_size, &failed);
    t.finalize = (cmpi_finalize_fn)resolve(library, "MPI_Finalize", error, error_size, &failed);
    t.abort = (cmpi_abort_fn)resolve(library, "MPI_Abort", error, error_size, &failed);
    t.comm_rank = (cmpi_comm_rank_fn)resolve(library, "MPI_Comm_rank", error, error_size, &failed);
    t.comm_size = (cmpi_comm_size_fn)resolve(library, "MPI_Comm_size", error, error_size, &failed);
    t.iprobe = (cmpi_iprobe_fn)resolve(library, "MPI_Iprobe", error, error_size, &failed);
    t.get_count = (cmpi_get_count_fn)resolve(library, "MPI_Get_count", error, error_size, &failed);
    t.recv = (cmpi_recv_fn)resolve(library, "MPI_Recv", error, error_size, &failed);
    t.isend = (cmpi_isend_fn)resolve(library, "MPI_Isend", error, error_size, &failed);
    t.test = (cmpi_test_fn)resolve(library, "MPI_Test", error, error_size, &failed);
    t.comm_world = resolve(library, "ompi_mpi_comm_world", error, error_size, &failed);
    t.byte = resolve(library, "ompi_mpi_byte", error, error_size, &failed);
    if (failed) return -1;
    cmpi = t;
    return 0;
}

#include <signal.h>
#include <sys/prctl.h>

int cmpi_end_with_launcher(void) {
    // prctl is variadic, so Swift cannot call it; this wrapper is the whole reason it lives here.
    return prctl(PR_SET_PDEATHSIG, SIGKILL);
}
