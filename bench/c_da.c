/*
 * A plain C child-proposing deferred acceptance: the yardstick of bench/allocation.py.
 *
 * Reads the benchmark's raw arrays (the same input the engine's build gets), then, timed:
 *   1. packs every wish's priority (sibling at the facility, social urgency, catchment, staff
 *      child, age, date of application, lottery) into one 64-bit key, smaller = better;
 *   2. runs the textbook queue-based DA: a free child proposes to its next wish; each facility
 *      keeps its held children in a binary max-heap by key (the worst on top) and rejects the
 *      worst when over capacity.
 * Writes the facility per child (-1 = none) and prints the CPU seconds of steps 1 + 2.
 *
 * Build: gcc -O2 -o c_da c_da.c   Usage: c_da DIR   (DIR holds the .bin files bench writes)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *load(const char *dir, const char *name, size_t *count, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *data = malloc(bytes ? bytes : 1);
    if (fread(data, 1, bytes, f) != (size_t)bytes) { perror(path); exit(2); }
    fclose(f);
    *count = bytes / size;
    return data;
}

static int bits_for(int64_t max) {
    int b = 0;
    while (max > 0) { b++; max >>= 1; }
    return b;
}

static int64_t max_of(const int64_t *v, size_t n) {
    int64_t m = 0;
    for (size_t i = 0; i < n; i++) if (v[i] > m) m = v[i];
    return m;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: c_da DIR\n"); return 2; }
    const char *dir = argv[1];
    size_t n1, nnz, m, n, k;
    int64_t *ptr = load(dir, "wish_ptr", &n1, 8);
    int32_t *fac = load(dir, "wish_facility", &nnz, 4);
    int64_t *cap = load(dir, "capacity", &m, 8);
    int8_t *sibling = load(dir, "sibling", &k, 1);
    int8_t *catchment = load(dir, "catchment", &k, 1);
    int8_t *urgency = load(dir, "urgency", &n, 1);
    int8_t *staff = load(dir, "staff", &k, 1);
    int64_t *age = load(dir, "age_days", &k, 8);
    int64_t *applied = load(dir, "applied_on", &k, 8);
    int64_t *lottery = load(dir, "lottery", &k, 8);
    n = n1 - 1;

    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);

    /* 1. keys: not sibling, not urgent, not in catchment, not staff, younger, later, lottery */
    int64_t max_age = max_of(age, n);
    int b_age = bits_for(max_age), b_app = bits_for(max_of(applied, n));
    int b_lot = bits_for(max_of(lottery, n));
    uint64_t *key = malloc(nnz * sizeof *key);
    int32_t *child_of = malloc(nnz * sizeof *child_of);
    for (size_t c = 0; c < n; c++) {
        uint64_t own = ((uint64_t)(1 - urgency[c]) << 1 | (uint64_t)(1 - staff[c]));
        uint64_t tail = ((uint64_t)(max_age - age[c]) << b_app | (uint64_t)applied[c]) << b_lot
                        | (uint64_t)lottery[c];
        for (int64_t e = ptr[c]; e < ptr[c + 1]; e++) {
            /* order: sibling, urgency, catchment, staff, age, applied, lottery */
            uint64_t head = (uint64_t)(1 - sibling[e]) << 3 | (own >> 1) << 2
                            | (uint64_t)(1 - catchment[e]) << 1 | (own & 1);
            key[e] = head << (b_age + b_app + b_lot) | tail;
            child_of[e] = (int32_t)c;
        }
    }

    /* 2. DA with a max-heap of held entries per facility (heap slots: capacity per facility) */
    int64_t *start = malloc((m + 1) * sizeof *start);
    start[0] = 0;
    for (size_t f = 0; f < m; f++) start[f + 1] = start[f] + cap[f];
    int64_t *heap = malloc((start[m] ? start[m] : 1) * sizeof *heap);
    int64_t *size = calloc(m, sizeof *size);
    int64_t *next = malloc(n * sizeof *next);
    int64_t *queue = malloc(n * sizeof *queue);
    int64_t qn = 0;
    for (size_t c = 0; c < n; c++) { next[c] = ptr[c]; queue[qn++] = (int64_t)c; }
    while (qn) {
        int64_t c = queue[--qn];
        while (next[c] < ptr[c + 1]) {
            int64_t e = next[c]++;
            int32_t f = fac[e];
            int64_t *h = heap + start[f];
            int64_t s = size[f];
            if (cap[f] == 0) continue;
            if (s < cap[f]) { /* push, sift up */
                int64_t i = s;
                while (i > 0 && key[h[(i - 1) / 2]] < key[e]) { h[i] = h[(i - 1) / 2]; i = (i - 1) / 2; }
                h[i] = e;
                size[f] = s + 1;
                c = -1;
                break;
            }
            if (key[e] >= key[h[0]]) continue; /* rejected: worse than the worst held */
            int64_t out = h[0];               /* replace the worst, sift down */
            int64_t i = 0;
            for (;;) {
                int64_t l = 2 * i + 1, r = l + 1, big = i;
                uint64_t kb = key[e];
                if (l < s && key[h[l]] > kb) { big = l; kb = key[h[l]]; }
                if (r < s && key[h[r]] > kb) { big = r; }
                if (big == i) break;
                h[i] = h[big];
                i = big;
            }
            h[i] = e;
            queue[qn++] = child_of[out];
            c = -1;
            break;
        }
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);

    int32_t *assigned = malloc(n * sizeof *assigned);
    for (size_t c = 0; c < n; c++) assigned[c] = -1;
    for (size_t f = 0; f < m; f++)
        for (int64_t i = 0; i < size[f]; i++) assigned[child_of[heap[start[f] + i]]] = (int32_t)f;
    char path[4096];
    snprintf(path, sizeof path, "%s/assigned.bin", dir);
    FILE *o = fopen(path, "wb");
    fwrite(assigned, sizeof *assigned, n, o);
    fclose(o);
    printf("%.6f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
