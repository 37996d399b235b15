/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/fleet and bench/fleet_client: the processes they start and the
 * files they leave, and what they read about a process from /proc.
 *
 * A run has one work directory (fp_workdir) and up to FP_PROCS child
 * processes (fp_spawn, stdout and stderr to a log file in it).  At exit,
 * on failure (fp_die) and on SIGINT/SIGTERM too, the children are
 * stopped, newest first, with SIGTERM (SIGKILL after 30 s), and the work
 * directory is removed unless BENCH_FLEET_KEEP=1.  fp_die prints the last
 * lines of every child's log.
 *
 * Included by bench/fleet.c and bench/fleet_client.c only.
 */
#ifndef BW_BENCH_FLEET_PROC_H
#define BW_BENCH_FLEET_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FP_PROCS 8
#define FP_PATH  600

static const char *fp_name = "bench";
static char fp_work[512];
static int fp_keep;
static pid_t fp_pid[FP_PROCS];
static char fp_log[FP_PROCS][FP_PATH];
static int fp_nproc;

static void fp_stop(int i)
{
    pid_t pid = fp_pid[i];
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int k = 0; k < 300; k++) { /* 30 s, then SIGKILL */
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fp_pid[i] = -1;
            return;
        }
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fp_pid[i] = -1;
}

static int fp_rm(const char *path, const struct stat *st, int flag,
                 struct FTW *f)
{
    (void)st;
    (void)f;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void fp_cleanup(void)
{
    for (int i = fp_nproc - 1; i >= 0; i--)
        fp_stop(i);
    if (fp_work[0] == '\0')
        return;
    if (fp_keep)
        printf("%s: work directory kept: %s\n", fp_name, fp_work);
    else
        nftw(fp_work, fp_rm, 16, FTW_DEPTH | FTW_PHYS);
    fp_work[0] = '\0';
}

static void fp_on_signal(int sig)
{
    (void)sig;
    exit(1); /* runs fp_cleanup() */
}

static void fp_tail(const char *path)
{
    char line[512], ring[12][512];
    int n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL)
        snprintf(ring[n++ % 12], sizeof ring[0], "%s", line);
    fclose(f);
    fprintf(stderr, "--- %s (last lines)\n", path);
    for (int i = n > 12 ? n - 12 : 0; i < n; i++)
        fputs(ring[i % 12], stderr);
}

__attribute__((format(printf, 1, 2), noreturn)) static void
fp_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: FAILED: ", fp_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    for (int i = 0; i < fp_nproc; i++)
        fp_tail(fp_log[i]);
    exit(1);
}

/* A number from the environment, dflt when unset; exits 2 when bad. */
static unsigned fp_env_uint(const char *name, unsigned dflt, unsigned lo,
                            unsigned hi)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        return dflt;
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (*end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "%s: %s: a number from %u to %u\n", fp_name, name, lo,
                hi);
        exit(2);
    }
    return (unsigned)x;
}

/* Where the programs are: BW_BIN_DIR, else this program's directory. */
static void fp_bin_dir(char *bin, size_t cap)
{
    const char *env = getenv("BW_BIN_DIR");
    if (env != NULL && env[0] != '\0') {
        snprintf(bin, cap, "%s", env);
        return;
    }
    ssize_t l = readlink("/proc/self/exe", bin, cap - 1);
    if (l <= 0)
        fp_die("readlink /proc/self/exe");
    bin[l] = '\0';
    char *slash = strrchr(bin, '/');
    if (slash != NULL)
        *slash = '\0';
}

/* Make the work directory in dir and arm the clean-up. */
static void fp_workdir(const char *dir)
{
    fp_keep = fp_env_uint("BENCH_FLEET_KEEP", 0, 0, 1) != 0;
    atexit(fp_cleanup);
    signal(SIGINT, fp_on_signal);
    signal(SIGTERM, fp_on_signal);
    snprintf(fp_work, sizeof fp_work, "%s/%s.XXXXXX", dir, fp_name);
    if (mkdtemp(fp_work) == NULL) {
        fp_work[0] = '\0';
        fp_die("mkdtemp in %s: %s", dir, strerror(errno));
    }
}

/* Start argv[0] with stdout and stderr to WORK/log; returns its slot. */
static int fp_spawn(char *const argv[], const char *log)
{
    if (fp_nproc == FP_PROCS)
        fp_die("too many processes");
    int i = fp_nproc;
    snprintf(fp_log[i], FP_PATH, "%s/%s", fp_work, log);
    if (access(argv[0], X_OK) != 0)
        fp_die("%s missing: build it first", argv[0]);
    pid_t pid = fork();
    if (pid < 0)
        fp_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd =
            open(fp_log[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    fp_pid[i] = pid;
    fp_nproc++;
    return i;
}

/* Fails the run when child i has exited. */
static void fp_alive(int i)
{
    if (fp_pid[i] > 0 && waitpid(fp_pid[i], NULL, WNOHANG) == fp_pid[i]) {
        fp_pid[i] = -1;
        fp_die("%s exited (log %s)", fp_log[i], fp_log[i]);
    }
}

/* utime + stime of a process, all threads, in seconds (10 ms ticks). */
static inline double fp_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fp_die("process %d is gone", (int)pid);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* After "(comm) ": state is field 3; utime and stime are 14 and 15. */
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        fp_die("cannot read %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The scheduler's count of a one-thread process's CPU time, in seconds
 * (nanosecond resolution), or -1 when the kernel keeps no schedstat. */
static inline double fp_cpu_sched(pid_t pid)
{
    char path[96];
    unsigned long long ns;
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid,
             (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int ok = fscanf(f, "%llu", &ns) == 1;
    fclose(f);
    return ok ? (double)ns / 1e9 : -1;
}

/* VmRSS of a process in kB. */
static long fp_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fp_die("process %d is gone", (int)pid);
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    if (kb < 0)
        fp_die("no VmRSS in %s", path);
    return kb;
}

#endif /* BW_BENCH_FLEET_PROC_H */
