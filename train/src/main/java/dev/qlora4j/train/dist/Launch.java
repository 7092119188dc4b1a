package dev.qlora4j.train.dist;

import java.util.Map;
import java.util.Optional;

/**
 * Where this process stands among the processes a launcher started, read from the variables the
 * launcher sets: Open MPI's {@code mpirun} ({@code OMPI_COMM_WORLD_SIZE}, {@code _RANK},
 * {@code _LOCAL_RANK}, {@code _LOCAL_SIZE}), MPICH's Hydra and other PMI launchers
 * ({@code PMI_SIZE}, {@code PMI_RANK}, {@code MPI_LOCALRANKID}, {@code MPI_LOCALNRANKS}), and
 * SLURM's {@code srun} ({@code SLURM_NTASKS}, {@code SLURM_PROCID}, {@code SLURM_LOCALID},
 * {@code SLURM_NTASKS_PER_NODE}). None of them (or a world of one): a plain single process.
 *
 * @param launcher which set of variables it came from ("Open MPI", "PMI", "SLURM")
 * @param mpich    whether the variables point at an MPICH-ABI library (Hydra / PMI) rather than Open MPI's
 */
public record Launch(int size, int rank, int localRank, int localSize, String launcher, boolean mpich) {

    /** The launch this process is part of, or empty when it was not started as one of several. */
    public static Optional<Launch> fromEnvironment(Map<String, String> env) {
        Launch l = null;
        if (env.containsKey("OMPI_COMM_WORLD_SIZE"))
            l = new Launch(number(env, "OMPI_COMM_WORLD_SIZE", 1), number(env, "OMPI_COMM_WORLD_RANK", 0),
                    number(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0), number(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1), "Open MPI", false);
        else if (env.containsKey("PMI_SIZE"))
            l = new Launch(number(env, "PMI_SIZE", 1), number(env, "PMI_RANK", 0), number(env, "MPI_LOCALRANKID", 0),
                    number(env, "MPI_LOCALNRANKS", 1), "PMI", true);
        else if (env.containsKey("SLURM_PROCID") && env.containsKey("SLURM_NTASKS"))
            l = new Launch(number(env, "SLURM_NTASKS", 1), number(env, "SLURM_PROCID", 0), number(env, "SLURM_LOCALID", 0),
                    firstNumber(env.getOrDefault("SLURM_NTASKS_PER_NODE", "1")), "SLURM", false);
        if (l == null || l.size <= 1) return Optional.empty();
        if (l.rank < 0 || l.rank >= l.size)
            throw new IllegalArgumentException(l.launcher + " says this is rank " + l.rank + " of " + l.size);
        return Optional.of(l);
    }

    private static int number(Map<String, String> env, String key, int dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the launcher's " + key + "=" + v + " is not a number");
        }
    }

    /** SLURM_NTASKS_PER_NODE may read "2(x4)" or "2,1": the first count. */
    private static int firstNumber(String v) {
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) end++;
        return end == 0 ? 1 : Integer.parseInt(v.substring(0, end));
    }

    /** The machine's online cores (/sys/devices/system/cpu/online, e.g. "0-15"), or the JVM's count where that is unreadable. */
    public static int onlineCpus() {
        try {
            String s = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/devices/system/cpu/online")).trim();
            int n = 0;
            for (String part : s.split(",")) {
                String[] r = part.split("-");
                n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
            }
            return n;
        } catch (java.io.IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Compute threads for this rank: {@code cpus} (the cores this process may run on) when the
     * launcher bound the rank to a share of the machine, else an equal share of the machine's
     * {@code online} cores among the node's ranks; {@code SLURM_CPUS_PER_TASK} wins when set.
     */
    public int threads(Map<String, String> env, int cpus, int online) {
        String perTask = env.get("SLURM_CPUS_PER_TASK");
        if (perTask != null && !perTask.isBlank()) {
            try {
                return Math.max(1, Integer.parseInt(perTask.trim()));
            } catch (NumberFormatException ignored) {
                // fall through to the affinity rule
            }
        }
        if (cpus < online || localSize <= 1) return Math.max(1, cpus);
        return Math.max(1, cpus / localSize);
    }
}
