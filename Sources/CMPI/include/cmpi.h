// The few MPI calls llmatic makes, reached through dlopen at run time (docs/mpi.md): no MPI header or library
// is needed to build, and a plain run never loads one. Handles follow Open MPI's ABI (libmpi.so.40): a
// communicator, datatype or request is a pointer, and MPI_COMM_WORLD / MPI_BYTE are the addresses of the
// exported objects `ompi_mpi_comm_world` / `ompi_mpi_byte` (in mpi.h they are macros Swift cannot import).
#ifndef CMPI_H
#define CMPI_H
#include <stddef.h>

typedef void *cmpi_handle;

/// Open MPI's `struct ompi_status_public_t`, field for field.
typedef struct {
    int source;
    int tag;
    int error;
    int cancelled;
    size_t ucount;
} cmpi_status;

enum { CMPI_THREAD_SINGLE = 0, CMPI_THREAD_FUNNELED = 1, CMPI_THREAD_SERIALIZED = 2, CMPI_THREAD_MULTIPLE = 3 };
enum { CMPI_ANY_SOURCE = -1, CMPI_ANY_TAG = -1, CMPI_SUCCESS = 0 };

typedef int (*cmpi_init_thread_fn)(int *argc, char ***argv, int required, int *provided);
typedef int (*cmpi_finalize_fn)(void);
typedef int (*cmpi_abort_fn)(cmpi_handle comm, int code);
typedef int (*cmpi_comm_rank_fn)(cmpi_handle comm, int *rank);
typedef int (*cmpi_comm_size_fn)(cmpi_handle comm, int *size);
typedef int (*cmpi_iprobe_fn)(int source, int tag, cmpi_handle comm, int *flag, cmpi_status *status);
typedef int (*cmpi_get_count_fn)(const cmpi_status *status, cmpi_handle type, int *count);
typedef int (*cmpi_recv_fn)(void *buffer, int count, cmpi_handle type, int source, int tag, cmpi_handle comm, cmpi_status *status);
typedef int (*cmpi_isend_fn)(const void *buffer, int count, cmpi_handle type, int dest, int tag, cmpi_handle comm, cmpi_handle *request);
typedef int (*cmpi_test_fn)(cmpi_handle *request, int *flag, cmpi_status *status);

/// Every entry point and predefined object, filled by `cmpi_load`.
typedef struct {
    cmpi_init_thread_fn init_thread;
    cmpi_finalize_fn finalize;
    cmpi_abort_fn abort;
    cmpi_comm_rank_fn comm_rank;
    cmpi_comm_size_fn comm_size;
    cmpi_iprobe_fn iprobe;
    cmpi_get_count_fn get_count;
    cmpi_recv_fn recv;
    cmpi_isend_fn isend;
    cmpi_test_fn test;
    cmpi_handle comm_world;
    cmpi_handle byte;
} cmpi_table;

/// Opens `path` (RTLD_GLOBAL: Open MPI's plugins resolve symbols of libmpi) and resolves the table.
/// Returns 0, or -1 with a message in `error`.
int cmpi_load(const char *path, char *error, size_t error_size);

/// Asks Linux to SIGKILL this process when its parent (mpirun, orted or slurmstepd) dies, so no rank of a
/// killed job goes on writing; the run folder is crash-safe, so the kill loses at most the children in flight.
int cmpi_end_with_launcher(void);
/// The table `cmpi_load` filled (all null before).
extern cmpi_table cmpi;

static inline int cmpi_init_thread(int required, int *provided) { return cmpi.init_thread(NULL, NULL, required, provided); }
static inline int cmpi_finalize(void) { return cmpi.finalize(); }
static inline int cmpi_abort(int code) { return cmpi.abort(cmpi.comm_world, code); }
static inline int cmpi_rank(int *rank) { return cmpi.comm_rank(cmpi.comm_world, rank); }
static inline int cmpi_size(int *size) { return cmpi.comm_size(cmpi.comm_world, size); }
static inline int cmpi_iprobe(int *flag, cmpi_status *status) {
    return cmpi.iprobe(CMPI_ANY_SOURCE, CMPI_ANY_TAG, cmpi.comm_world, flag, status);
}
static inline int cmpi_byte_count(const cmpi_status *status, int *count) { return cmpi.get_count(status, cmpi.byte, count); }
static inline int cmpi_recv_bytes(void *buffer, int count, int source, int tag, cmpi_status *status) {
    return cmpi.recv(buffer, count, cmpi.byte, source, tag, cmpi.comm_world, status);
}
static inline int cmpi_isend_bytes(const void *buffer, int count, int dest, int tag, cmpi_handle *request) {
    return cmpi.isend(buffer, count, cmpi.byte, dest, tag, cmpi.comm_world, request);
}
static inline int cmpi_test(cmpi_handle *request, int *flag) {
    cmpi_status status;
    return cmpi.test(request, flag, &status);
}
#endif
