package dev.qlora4j.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one team of threads every CPU kernel shares, sized to the cores (override with
 * {@code -Dqlora4j.threads=N}). A kernel splits its outermost loop into chunks; the calling thread
 * and the team's workers claim chunks until none are left.
 *
 * <p>Why not a ForkJoinPool: a GEMM hands out work several times per call (per packed panel), and
 * waking a parked pool worker costs 15–50 µs each time, a quarter of a 512³ product on two cores.
 * Workers here spin for a while after each job before they park (as OpenBLAS's threads do), so a
 * job that follows another starts in well under a microsecond.
 *
 * <p>A kernel called from inside a job (a GEMM per attention head, say) runs inline on its thread;
 * a second thread that calls while the team is busy runs its job alone rather than wait.
 */
public final class Parallel {
    private Parallel() {}

    /** A body that handles the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("qlora4j.threads",
            Runtime.getRuntime().availableProcessors()));
    /** How long an idle worker keeps polling for the next job before it parks. */
    private static final long SPIN_NANOS = Long.getLong("qlora4j.spinMicros", 200) * 1000;

    /** One call's work: chunks claimed by index, completion counted. */
    private static final class Job {
        /** Dropped when the job completes, so a worker's last job does not keep its arrays alive. */
        RangeBody body;
        final int n, chunks;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    // chunk c covers [c·n/chunks, (c+1)·n/chunks): sizes differ by at most one
                    body.run((int) ((long) c * n / chunks), (int) ((long) (c + 1) * n / chunks));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                done.incrementAndGet();
            }
        }
    }

    private static final class Worker extends Thread {
        volatile boolean sleeping;

        Worker(int i) {
            super("qlora4j-cpu-" + i);
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            while (true) {
                Job job = current;
                if (job != null && job != last) {
                    last = job;
                    job.work();
                    continue;
                }
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (noNewJob(last) && System.nanoTime() < spinUntil) Thread.onSpinWait();
                if (!noNewJob(last)) continue;
                // park; the submitter unparks a sleeping worker after it publishes a job (volatiles
                // on both sides, so either it sees sleeping or this thread sees the new job)
                sleeping = true;
                if (noNewJob(last)) LockSupport.park(this);
                sleeping = false;
            }
        }
    }

    private static volatile Job current;

    private static boolean noNewJob(Job last) {
        Job job = current;
        return job == null || job == last;
    }
    private static final ReentrantLock TEAM = new ReentrantLock();
    private static final Worker[] WORKERS = new Worker[THREADS - 1];

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker(i + 1);
            WORKERS[i].start();
        }
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()}·4 chunks of at least {@code grain}
     * indices each. {@code grain} is the smallest amount of work worth a chunk of its own.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        run(body, n, Math.max(1, Math.min(THREADS * 4, n / Math.max(1, grain))));
    }

    /** Runs exactly {@code parts} chunks, chunk i handling index i (for kernels that partition themselves). */
    public static void parts(int parts, RangeBody body) {
        if (parts <= 0) return;
        run(body, parts, parts);
    }

    private static void run(RangeBody body, int n, int chunks) {
        if (chunks == 1 || THREADS == 1 || Thread.currentThread() instanceof Worker || TEAM.isHeldByCurrentThread()
                || !TEAM.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Job job = new Job(body, n, chunks);
            current = job;
            for (Worker w : WORKERS) if (w.sleeping) LockSupport.unpark(w);
            job.work();
            for (int spins = 0; job.done.get() < chunks; spins++) {
                if (spins < 1 << 16) Thread.onSpinWait();
                else Thread.yield();
            }
            current = null;
            job.body = null;
            Throwable t = job.failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            TEAM.unlock();
        }
    }
}
