package dev.qlora4j.train.report;

import java.time.Duration;

/**
 * What the progress display shows at a logging step.
 *
 * @param step            global step just finished
 * @param epoch           fractional epoch, as HF logs it
 * @param loss            training loss of the logging window
 * @param gradNorm        global gradient norm before clipping (NaN when not computed)
 * @param learningRate    rate that step applied
 * @param tokensPerSecond training tokens per second over the logging window
 * @param elapsed         time since training started in this process (a resumed run restarts it)
 */
public record TrainProgress(long step, double epoch, double loss, double gradNorm, double learningRate,
                            double tokensPerSecond, Duration elapsed) {}
