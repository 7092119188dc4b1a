package dev.qlora4j.train.dist;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What each launcher's variables say about this process, and the threads a rank gets. */
class LaunchTest {
    @Test
    void noLauncherOrAWorldOfOneIsASingleProcess() {
        assertThat(Launch.fromEnvironment(Map.of())).isEmpty();
        assertThat(Launch.fromEnvironment(Map.of("OMPI_COMM_WORLD_SIZE", "1", "OMPI_COMM_WORLD_RANK", "0"))).isEmpty();
        // an sbatch allocation sets SLURM_NTASKS without being a task of a step: no SLURM_PROCID, no rank
        assertThat(Launch.fromEnvironment(Map.of("SLURM_NTASKS", "8"))).isEmpty();
    }

    @Test
    void openMpiPmiAndSlurm() {
        Launch o = Launch.fromEnvironment(Map.of("OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_RANK", "5",
                "OMPI_COMM_WORLD_LOCAL_RANK", "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "2")).orElseThrow();
        assertThat(o).isEqualTo(new Launch(8, 5, 1, 2, "Open MPI", false));
        Launch h = Launch.fromEnvironment(Map.of("PMI_SIZE", "4", "PMI_RANK", "3", "MPI_LOCALRANKID", "1", "MPI_LOCALNRANKS", "2")).orElseThrow();
        assertThat(h).isEqualTo(new Launch(4, 3, 1, 2, "PMI", true));
        Launch s = Launch.fromEnvironment(Map.of("SLURM_NTASKS", "8", "SLURM_PROCID", "6", "SLURM_LOCALID", "0",
                "SLURM_NTASKS_PER_NODE", "2(x4)")).orElseThrow();
        assertThat(s).isEqualTo(new Launch(8, 6, 0, 2, "SLURM", false));
    }

    @Test
    void badVariablesAreNamed() {
        assertThatThrownBy(() -> Launch.fromEnvironment(Map.of("OMPI_COMM_WORLD_SIZE", "two")))
                .hasMessage("the launcher's OMPI_COMM_WORLD_SIZE=two is not a number");
        assertThatThrownBy(() -> Launch.fromEnvironment(Map.of("PMI_SIZE", "2", "PMI_RANK", "2")))
                .hasMessage("PMI says this is rank 2 of 2");
    }

    @Test
    void threadsAreTheCoresTheLauncherGaveTheRank() {
        Launch l = new Launch(4, 0, 0, 2, "Open MPI", false);
        assertThat(l.threads(Map.of(), 4, 16)).as("bound to 4 of 16 cores").isEqualTo(4);
        assertThat(l.threads(Map.of(), 16, 16)).as("not bound: an equal share of the machine").isEqualTo(8);
        assertThat(l.threads(Map.of("SLURM_CPUS_PER_TASK", "3"), 16, 16)).isEqualTo(3);
        assertThat(new Launch(4, 0, 0, 32, "PMI", true).threads(Map.of(), 16, 16)).isEqualTo(1);
    }
}
