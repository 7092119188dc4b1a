package dev.qlora4j.train.dist;

/**
 * An error on one rank of a distributed run, with what the command line does about it: print
 * the cause prefixed with the rank (unless {@link #shown} is false: every rank failed the same way
 * and rank 0 says it, or another rank failed and said so), then end. A failure every rank agreed
 * on ends each rank normally; any other ends the whole job at once (MPI_Abort), since the other
 * ranks may be waiting in a collective this one will never join.
 */
public final class RankFailure extends RuntimeException {
    private final transient World world;
    private final boolean shown, agreed;

    private RankFailure(World world, Throwable cause, String message, boolean shown, boolean agreed) {
        super(message, cause);
        this.world = world;
        this.shown = shown;
        this.agreed = agreed;
    }

    /** This rank failed; the others know (an agreement point). */
    public static RankFailure agreed(World world, Throwable cause, boolean quiet) {
        return new RankFailure(world, cause, cause.getMessage(), !quiet, true);
    }

    /** Another rank failed and says why; this one ends quietly. */
    public static RankFailure quiet(World world, String why) {
        return new RankFailure(world, null, why, false, true);
    }

    /** This rank failed where the others cannot know: the job must be ended. */
    public static RankFailure fatal(World world, Throwable cause) {
        return new RankFailure(world, cause, cause.getMessage(), true, false);
    }

    public boolean shown() {
        return shown;
    }

    /** "rank 1 of 2" */
    public String label() {
        return world.label();
    }

    /** Ends this rank: MPI_Finalize after an agreed failure, else MPI_Abort of every rank with {@code status}. */
    public void end(int status) {
        if (agreed) world.close();
        else world.abort(status);
    }
}
