/*
 * Sequential memory read bandwidth: the limit a decode runs against, since generating
 * one token streams every weight from memory once. Benchmark-only (compiled on demand by
 * bench/bandwidth.ts with the system C compiler), never part of the package.
 *
 * usage: readBandwidth <megabytes> <threads> <passes>
 * prints: the best pass, in GB/s (10^9 bytes per second), over all threads together.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const uint64_t *start;
  size_t words;
  uint64_t sum;
  pthread_barrier_t *barrier;
  int passes;
  double *seconds;
} Worker;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Eight independent accumulators let the compiler vectorize and keep loads in flight. */
static uint64_t readAll(const uint64_t *data, size_t words) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (size_t i = 0; i + 8 <= words; i += 8) {
    a0 += data[i]; a1 += data[i + 1]; a2 += data[i + 2]; a3 += data[i + 3];
    a4 += data[i + 4]; a5 += data[i + 5]; a6 += data[i + 6]; a7 += data[i + 7];
  }
  return a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

static void *work(void *argument) {
  Worker *worker = argument;
  for (int pass = 0; pass < worker->passes; pass++) {
    pthread_barrier_wait(worker->barrier);
    worker->sum += readAll(worker->start, worker->words);
    pthread_barrier_wait(worker->barrier);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <megabytes> <threads> <passes>\n", argv[0]);
    return 2;
  }
  size_t bytes = (size_t)atol(argv[1]) << 20;
  int threads = atoi(argv[2]);
  int passes = atoi(argv[3]);
  size_t words = bytes / sizeof(uint64_t);
  uint64_t *data = aligned_alloc(64, words * sizeof(uint64_t));
  if (data == NULL || threads < 1 || passes < 1) return 1;
  for (size_t i = 0; i < words; i++) data[i] = i * 0x9e3779b97f4a7c15ull; /* touch every page */

  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, threads + 1);
  Worker *workers = calloc(threads, sizeof(Worker));
  pthread_t *ids = calloc(threads, sizeof(pthread_t));
  size_t share = words / threads / 8 * 8;
  for (int t = 0; t < threads; t++) {
    workers[t] = (Worker){ data + t * share, share, 0, &barrier, passes, NULL };
    pthread_create(&ids[t], NULL, work, &workers[t]);
  }
  double best = 0;
  for (int pass = 0; pass < passes; pass++) {
    pthread_barrier_wait(&barrier);
    double started = now();
    pthread_barrier_wait(&barrier);
    double rate = (double)(share * threads * sizeof(uint64_t)) / (now() - started) / 1e9;
    if (rate > best) best = rate;
  }
  uint64_t check = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(ids[t], NULL);
    check ^= workers[t].sum;
  }
  printf("%.2f %llu\n", best, (unsigned long long)(check & 1));
  return 0;
}
