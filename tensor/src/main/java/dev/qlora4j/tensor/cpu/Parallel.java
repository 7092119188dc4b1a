package dev.qlora4j.tensor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool every CPU kernel shares, sized to the cores (override with
 * {@code -Dqlora4j.threads=N}). Kernels split their outermost loop into ranges and run them here;
 * work that is too small to pay for a fork runs on the calling thread.
 */
public final class Parallel {
    private Parallel() {}

    /** A body that handles the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS = Integer.getInteger("qlora4j.threads",
            Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS <= 1 ? null : new ForkJoinPool(THREADS,
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("qlora4j-cpu-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false);

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()}·4 chunks of at least {@code grain}
     * indices each. {@code grain} is the smallest amount of work worth a task of its own.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int maxChunks = Math.max(1, Math.min(THREADS * 4, n / Math.max(1, grain)));
        if (POOL == null || maxChunks == 1 || ForkJoinTask.inForkJoinPool() && isOurs()) {
            body.run(0, n);
            return;
        }
        int chunk = (n + maxChunks - 1) / maxChunks;
        List<RecursiveAction> tasks = new ArrayList<>(maxChunks);
        for (int from = 0; from < n; from += chunk) {
            int f = from, t = Math.min(n, from + chunk);
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(f, t);
                }
            });
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }

    /** Runs exactly {@code parts} tasks, task i handling index i (for kernels that partition themselves). */
    public static void parts(int parts, RangeBody body) {
        if (parts <= 1 || POOL == null || ForkJoinTask.inForkJoinPool() && isOurs()) {
            body.run(0, parts);
            return;
        }
        List<RecursiveAction> tasks = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            int p = i;
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(p, p + 1);
                }
            });
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }

    private static boolean isOurs() {
        return ForkJoinTask.getPool() == POOL;
    }
}
