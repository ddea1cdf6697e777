import CPUBackend
import Foundation

// Before anything else: on an AVX-512 CPU this may re-execute the program with OPENBLAS_CORETYPE set
// (OpenBLAS reads it only when it loads; see Sources/CPUBackend/OpenBLASCore.swift).
OpenBLASCore.selectForThisCPU()
exit(CommandRegistry.main(Array(CommandLine.arguments.dropFirst())))
