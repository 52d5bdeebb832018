/*
 * SUNDIALS CVODE peer for `stiff_rober` and `stiff_hires` (DESIGN.md §5).
 *
 * ROBER on [0, 1e11] and HIRES on [0, 321.8122] (Test Set for IVP Solvers) with CVODE: BDF
 * (variable order 1-5), Newton iteration with the dense direct linear solver (SUNDenseMatrix +
 * SUNLinSol_Dense) and an analytic Jacobian, scalar tolerances from the "benchmark" section of
 * test/fixtures/ode/stiff-references.json (rtol 1e-8; atol 1e-14 for ROBER, 1e-12 for HIRES),
 * the same as every other implementation. CVode is called once with CV_NORMAL and a stop time
 * at t1, so that it steps exactly to t1 (like solve_ivp and greybox) rather than interpolating.
 *
 * One solve = create the vector, CVODE memory, matrix and linear solver, integrate t0 -> t1,
 * free them (the SUNContext is created once per process). params.max_rel_err is
 * max_i |y_i - ref_i| / |ref_i| against the published reference final state; nfev counts RHS
 * evaluations (CVodeGetNumRhsEvals, plus CVodeGetNumLinRhsEvals which is 0 with an analytic
 * Jacobian), njev Jacobian evaluations, nlu linear solver setups (LU factorizations).
 *
 * Built by bench/peers/build-cvode.sh, which generates stiff_refs.h (references and
 * tolerances) from the JSON fixture. Written against SUNDIALS 6 (SUNContext exists from 6.0;
 * SUNContext_Create takes SUN_COMM_NULL from 7.0). Prints one JSON object per line with
 * impl "cvode". Usage: cvode_stiff [ID ...]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_config.h>
#include <sundials/sundials_types.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "stiff_refs.h"

#if SUNDIALS_VERSION_MAJOR < 6
#error "cvode_stiff.c needs SUNDIALS 6 or later (SUNContext)"
#endif

#define IJ(J, i, j) SM_ELEMENT_D((J), (i), (j))

/* ---- ROBER ------------------------------------------------------------------------------ */

static int rober_f(sunrealtype t, N_Vector yv, N_Vector fv, void *ud) {
  (void)t;
  (void)ud;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunrealtype *f = N_VGetArrayPointer(fv);
  f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
  f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
  f[2] = 3e7 * y[1] * y[1];
  return 0;
}

static int rober_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1, N_Vector t2,
                     N_Vector t3) {
  (void)t;
  (void)fy;
  (void)ud;
  (void)t1;
  (void)t2;
  (void)t3;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  IJ(J, 0, 0) = -0.04;
  IJ(J, 0, 1) = 1e4 * y[2];
  IJ(J, 0, 2) = 1e4 * y[1];
  IJ(J, 1, 0) = 0.04;
  IJ(J, 1, 1) = -1e4 * y[2] - 6e7 * y[1];
  IJ(J, 1, 2) = -1e4 * y[1];
  IJ(J, 2, 0) = 0.0;
  IJ(J, 2, 1) = 6e7 * y[1];
  IJ(J, 2, 2) = 0.0;
  return 0;
}

/* ---- HIRES ------------------------------------------------------------------------------ */

static int hires_f(sunrealtype t, N_Vector yv, N_Vector fv, void *ud) {
  (void)t;
  (void)ud;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  sunrealtype *f = N_VGetArrayPointer(fv);
  const sunrealtype r = 280.0 * y[5] * y[7];
  f[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
  f[1] = 1.71 * y[0] - 8.75 * y[1];
  f[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
  f[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
  f[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
  f[5] = -r + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
  f[6] = r - 1.81 * y[6];
  f[7] = -r + 1.81 * y[6];
  return 0;
}

static int hires_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1, N_Vector t2,
                     N_Vector t3) {
  (void)t;
  (void)fy;
  (void)ud;
  (void)t1;
  (void)t2;
  (void)t3;
  const sunrealtype *y = N_VGetArrayPointer(yv);
  SUNMatZero(J);
  IJ(J, 0, 0) = -1.71;
  IJ(J, 0, 1) = 0.43;
  IJ(J, 0, 2) = 8.32;
  IJ(J, 1, 0) = 1.71;
  IJ(J, 1, 1) = -8.75;
  IJ(J, 2, 2) = -10.03;
  IJ(J, 2, 3) = 0.43;
  IJ(J, 2, 4) = 0.035;
  IJ(J, 3, 1) = 8.32;
  IJ(J, 3, 2) = 1.71;
  IJ(J, 3, 3) = -1.12;
  IJ(J, 4, 4) = -1.745;
  IJ(J, 4, 5) = 0.43;
  IJ(J, 4, 6) = 0.43;
  IJ(J, 5, 3) = 0.69;
  IJ(J, 5, 4) = 1.71;
  IJ(J, 5, 5) = -280.0 * y[7] - 0.43;
  IJ(J, 5, 6) = 0.69;
  IJ(J, 5, 7) = -280.0 * y[5];
  IJ(J, 6, 5) = 280.0 * y[7];
  IJ(J, 6, 6) = -1.81;
  IJ(J, 6, 7) = 280.0 * y[5];
  IJ(J, 7, 5) = -280.0 * y[7];
  IJ(J, 7, 6) = 1.81;
  IJ(J, 7, 7) = -280.0 * y[5];
  return 0;
}

/* ---- Solving and timing ----------------------------------------------------------------- */

typedef struct {
  const char *workload;
  int n;
  CVRhsFn f;
  CVLsJacFn jac;
  double t0, t1;
  const double *y0;
  const double *ref;
  double atol;
} Problem;

typedef struct {
  long nfev, njev, nlu, nsteps;
  double y[8];
} Result;

static SUNContext ctx;

static void check(int flag, const char *what) {
  if (flag < 0) {
    fprintf(stderr, "cvode_stiff: %s failed with flag %d\n", what, flag);
    exit(1);
  }
}

static void solve(const Problem *p, Result *res) {
  N_Vector y = N_VNew_Serial(p->n, ctx);
  sunrealtype *yd = N_VGetArrayPointer(y);
  for (int i = 0; i < p->n; i++) yd[i] = p->y0[i];
  void *mem = CVodeCreate(CV_BDF, ctx);
  if (mem == NULL) check(-1, "CVodeCreate");
  check(CVodeInit(mem, p->f, p->t0, y), "CVodeInit");
  check(CVodeSStolerances(mem, BENCH_RTOL, p->atol), "CVodeSStolerances");
  SUNMatrix A = SUNDenseMatrix(p->n, p->n, ctx);
  SUNLinearSolver LS = SUNLinSol_Dense(y, A, ctx);
  check(CVodeSetLinearSolver(mem, LS, A), "CVodeSetLinearSolver");
  check(CVodeSetJacFn(mem, p->jac), "CVodeSetJacFn");
  check(CVodeSetMaxNumSteps(mem, 1000000), "CVodeSetMaxNumSteps");
  check(CVodeSetStopTime(mem, p->t1), "CVodeSetStopTime");
  sunrealtype t = p->t0;
  check(CVode(mem, p->t1, y, &t, CV_NORMAL), "CVode");
  if (res != NULL) {
    long nfe = 0, nfeLS = 0, nje = 0, nsetups = 0, nst = 0;
    CVodeGetNumRhsEvals(mem, &nfe);
    CVodeGetNumLinRhsEvals(mem, &nfeLS);
    CVodeGetNumJacEvals(mem, &nje);
    CVodeGetNumLinSolvSetups(mem, &nsetups);
    CVodeGetNumSteps(mem, &nst);
    res->nfev = nfe + nfeLS;
    res->njev = nje;
    res->nlu = nsetups;
    res->nsteps = nst;
    for (int i = 0; i < p->n; i++) res->y[i] = yd[i];
    if (fabs(t - p->t1) > 1e-12 * fabs(p->t1)) {
      fprintf(stderr, "cvode_stiff: stopped at t = %g instead of %g\n", t, p->t1);
      exit(1);
    }
  }
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
  N_VDestroy(y);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#define SAMPLES 21

static void bench(const Problem *p) {
  Result r;
  solve(p, &r);
  double err = 0;
  for (int i = 0; i < p->n; i++) {
    const double e = fabs(r.y[i] - p->ref[i]) / fabs(p->ref[i]);
    if (e > err) err = e;
  }
  /* Warm-up for 0.5 s, then samples of at least 20 ms each (mean per solve). */
  const double start = now_ms();
  long calls = 0;
  while (now_ms() - start < 500.0 || calls < 3) {
    solve(p, NULL);
    calls++;
  }
  const double per = (now_ms() - start) / calls;
  long inner = (long)(20.0 / per + 0.5);
  if (inner < 1) inner = 1;
  double times[SAMPLES];
  for (int s = 0; s < SAMPLES; s++) {
    const double t0 = now_ms();
    for (long c = 0; c < inner; c++) solve(p, NULL);
    times[s] = (now_ms() - t0) / inner;
  }
  qsort(times, SAMPLES, sizeof(double), cmp);
  printf("{\"workload\": \"%s\", \"impl\": \"cvode\", \"metric\": \"ms_per_solve\", \"median\": %.6g, \"min\": %.6g, "
         "\"max\": %.6g, \"n\": %d, \"params\": {\"max_rel_err\": %.6g, \"nfev\": %ld, \"njev\": %ld, \"nlu\": %ld, "
         "\"nsteps\": %ld, \"rtol\": %g, \"atol\": %g, \"jacobian\": \"analytic\", \"linear_solver\": \"dense\", "
         "\"method\": \"BDF, Newton\", \"t1\": %.15g, \"sundials\": \"%s\"}}\n",
         p->workload, times[SAMPLES / 2], times[0], times[SAMPLES - 1], SAMPLES, err, r.nfev, r.njev, r.nlu, r.nsteps,
         BENCH_RTOL, p->atol, p->t1, SUNDIALS_VERSION);
  fflush(stdout);
}

int main(int argc, char **argv) {
#if SUNDIALS_VERSION_MAJOR >= 7
  check(SUNContext_Create(SUN_COMM_NULL, &ctx), "SUNContext_Create");
#else
  check(SUNContext_Create(NULL, &ctx), "SUNContext_Create");
#endif
  const Problem problems[] = {
      {"stiff_rober", 3, rober_f, rober_jac, ROBER_T0, ROBER_T1, ROBER_Y0, ROBER_REF, ROBER_ATOL},
      {"stiff_hires", 8, hires_f, hires_jac, HIRES_T0, HIRES_T1, HIRES_Y0, HIRES_REF, HIRES_ATOL},
  };
  const int np = (int)(sizeof problems / sizeof problems[0]);
  for (int k = 0; k < np; k++) {
    int wanted = argc <= 1;
    for (int a = 1; a < argc; a++)
      if (strcmp(argv[a], problems[k].workload) == 0) wanted = 1;
    if (wanted) bench(&problems[k]);
  }
  SUNContext_Free(&ctx);
  return 0;
}
