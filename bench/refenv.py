# What a reference process actually runs on, for the report: the BLAS library mapped into this
# process (bench/reference-env.ts picks OpenBLAS through LD_LIBRARY_PATH) and the OpenMP wait policy.
import os


def blas_loaded():
    """Path of the BLAS shared object this process mapped, or 'none mapped yet'."""
    try:
        with open('/proc/self/maps') as f:
            paths = {line.split()[-1] for line in f if 'blas' in line.split()[-1]}
    except OSError:
        return 'unknown (no /proc)'
    return ', '.join(sorted(paths)) or 'none mapped yet'


def env_report():
    return dict(blas=blas_loaded(), omp_wait_policy=os.environ.get('OMP_WAIT_POLICY', 'default (active)'))
