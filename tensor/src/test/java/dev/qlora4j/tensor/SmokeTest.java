package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void addBroadcast() {
        Generator g = new Generator(1);
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 4), GradCheck.strided(g, 4)},
                t -> t[0].add(t[1]),
                x -> {
                    double[] o = new double[12];
                    for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) o[i * 4 + j] = x[0][i * 4 + j] + x[1][j];
                    return o;
                });
    }

    @Test
    void matmulTransposed() {
        Generator g = new Generator(2);
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 5), GradCheck.param(g, 5, 4)},
                t -> t[0].matmul(t[1]).tanh(),
                x -> {
                    double[] o = new double[12];
                    for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) {
                        double s = 0;
                        for (int p = 0; p < 5; p++) s += x[0][i * 5 + p] * x[1][p * 4 + j];
                        o[i * 4 + j] = Math.tanh(s);
                    }
                    return o;
                });
    }
}
