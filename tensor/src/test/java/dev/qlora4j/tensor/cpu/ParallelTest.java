package dev.qlora4j.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The thread team: every index runs once, failures reach the caller, nesting and concurrent callers work. */
class ParallelTest {
    @Test
    void rangeCoversEveryIndexExactlyOnce() {
        for (int n : new int[]{1, 2, 3, 7, 64, 1000, 12345})
            for (int grain : new int[]{1, 5, 100, 1 << 20}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Parallel.range(n, grain, (from, to) -> {
                    assertThat(from).isLessThan(to);
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("n=%d grain=%d index %d", n, grain, i).isEqualTo(1);
            }
        Parallel.range(0, 1, (from, to) -> {
            throw new AssertionError("an empty range runs nothing");
        });
    }

    @Test
    void partsRunsEachPartOnItsOwn() {
        AtomicIntegerArray seen = new AtomicIntegerArray(9);
        Parallel.parts(9, (from, to) -> {
            for (int i = from; i < to; i++) seen.incrementAndGet(i);
        });
        for (int i = 0; i < 9; i++) assertThat(seen.get(i)).isEqualTo(1);
    }

    @Test
    void largeRangesUseSeveralThreads() {
        assumeTrue(Parallel.threads() >= 2, () -> "the team has " + Parallel.threads() + " thread(s); nothing to spread over");
        var threads = ConcurrentHashMap.<Thread>newKeySet();
        for (int attempt = 0; attempt < 50 && threads.size() < 2; attempt++)
            Parallel.parts(8, (from, to) -> {
                threads.add(Thread.currentThread());
                long until = System.nanoTime() + 2_000_000;
                while (System.nanoTime() < until) Thread.onSpinWait();
            });
        assertThat(threads.size()).isGreaterThan(1);
    }

    @Test
    void aFailureInAnyChunkReachesTheCaller() {
        assertThatThrownBy(() -> Parallel.parts(16, (from, to) -> {
            if (from == 11) throw new IllegalStateException("chunk 11");
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 11");
        // and the team still works afterwards
        AtomicLong sum = new AtomicLong();
        Parallel.range(100, 1, (from, to) -> {
            for (int i = from; i < to; i++) sum.addAndGet(i);
        });
        assertThat(sum.get()).isEqualTo(4950);
    }

    @Test
    void nestedCallsRunInline() {
        AtomicLong total = new AtomicLong();
        Parallel.range(8, 1, (from, to) -> {
            for (int i = from; i < to; i++)
                Parallel.range(100, 1, (f, t) -> total.addAndGet(t - f));
        });
        assertThat(total.get()).isEqualTo(800);
    }

    @Test
    void concurrentCallersAllComplete() throws InterruptedException {
        int callers = 4, n = 20_000;
        long[] sums = new long[callers];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int rep = 0; rep < 50; rep++) {
                    AtomicLong s = new AtomicLong();
                    Parallel.range(n, 64, (from, to) -> {
                        long local = 0;
                        for (int i = from; i < to; i++) local += i;
                        s.addAndGet(local);
                    });
                    sums[id] += s.get();
                }
            }));
        }
        for (Thread t : threads) t.join(60_000);
        for (long s : sums) assertThat(s).isEqualTo(50L * n * (n - 1) / 2);
    }
}
