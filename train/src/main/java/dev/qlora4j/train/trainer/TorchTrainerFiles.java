package dev.qlora4j.train.trainer;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.TorchLoad;
import dev.qlora4j.tensor.io.TorchSave;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.optim.AdamW;
import dev.qlora4j.train.optim.Optimizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code optimizer.pt} and {@code scheduler.pt} as HF Trainer writes them into a checkpoint, so
 * that {@code trainer.train(resume_from_checkpoint="checkpoint-N")} in Python continues with our
 * moments and learning-rate position (without them HF silently starts both afresh). The
 * optimizer state is torch.optim.AdamW's for the two parameter groups HF's
 * {@code create_optimizer} makes (with weight decay: every LoRA tensor and a saved head; without:
 * none), parameters numbered in PEFT's {@code named_parameters} order (layer by layer, q, k, v, o,
 * gate, up, down, lora_A before lora_B, the head last), the order {@code LoraModel.stateDict}
 * keeps. The schedule is torch's LambdaLR state after {@code global_step} steps. Only for AdamW:
 * bitsandbytes' 8-bit state has its own layout, so an 8-bit run's checkpoints resume in Python
 * with fresh moments.
 */
final class TorchTrainerFiles {
    static final String OPTIMIZER = "optimizer.pt", SCHEDULER = "scheduler.pt";

    private TorchTrainerFiles() {}

    static void write(Path dir, List<Tensor> params, Optimizer opt, Schedule schedule, long step, TrainingConfig cfg)
            throws IOException {
        if (!(opt instanceof AdamW)) return;
        Map<String, Tensor> moments = opt.stateDict();
        Map<Object, Object> state = new LinkedHashMap<>();
        List<Object> indices = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            indices.add(i);
            int[] shape = params.get(i).shape();
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("step", TorchSave.FloatTensor.scalar(opt.stepCount()));
            s.put("exp_avg", new TorchSave.FloatTensor(moments.get(i + ".exp_avg").contiguous().toFloatArray(), shape));
            s.put("exp_avg_sq", new TorchSave.FloatTensor(moments.get(i + ".exp_avg_sq").contiguous().toFloatArray(), shape));
            state.put(i, s);
        }
        double lrNow = schedule.lr(step);
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("state", state);
        sd.put("param_groups", List.of(group(cfg, cfg.optimizer().weightDecay(), lrNow, schedule.baseLr(), indices),
                group(cfg, 0.0, lrNow, schedule.baseLr(), List.of())));
        TorchSave.write(dir.resolve(OPTIMIZER), sd);

        Map<String, Object> sched = new LinkedHashMap<>();
        sched.put("base_lrs", List.of(schedule.baseLr(), schedule.baseLr()));
        sched.put("last_epoch", step);
        sched.put("verbose", false);
        sched.put("_step_count", step + 1);
        sched.put("_get_lr_called_within_step", false);
        sched.put("_last_lr", List.of(lrNow, lrNow));
        sched.put("lr_lambdas", java.util.Collections.nCopies(2, null));
        TorchSave.write(dir.resolve(SCHEDULER), sched);
    }

    /**
     * The moments of an {@code optimizer.pt} torch.optim.AdamW wrote (HF Trainer in Python), as
     * {@link Optimizer#stateDict} keys: parameters numbered across the param groups in order, which
     * for HF's groups and PEFT's parameter order is ours.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Tensor> readOptimizer(Path file, Optimizer opt, List<Tensor> params) {
        if (!(opt instanceof AdamW))
            throw BadInputException.at(file.toString(), "a PyTorch AdamW state; this run's optimizer is 8-bit AdamW (optim)");
        Object root = TorchLoad.read(file);
        if (!(root instanceof Map<?, ?> sd) || !(sd.get("state") instanceof Map<?, ?> state) || !(sd.get("param_groups") instanceof List<?> groups))
            throw BadInputException.at(file.toString(), "not an optimizer state dict (state, param_groups)");
        int count = 0;
        for (Object g : groups) if (g instanceof Map<?, ?> m && m.get("params") instanceof List<?> ps) count += ps.size();
        if (count != params.size())
            throw BadInputException.at(file.toString(), "holds " + count + " parameters; this adapter has " + params.size());
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (!(state.get((long) i) instanceof Map<?, ?> s)) throw BadInputException.at(file.toString(), "no state for parameter " + i);
            for (String k : List.of("exp_avg", "exp_avg_sq")) {
                if (!(s.get(k) instanceof TorchSave.FloatTensor t))
                    throw BadInputException.at(file.toString(), "parameter " + i + " has no " + k + " (not AdamW's state)");
                if (!java.util.Arrays.equals(t.shape(), params.get(i).shape()))
                    throw BadInputException.at(file.toString(), "parameter " + i + "'s " + k + " is " + java.util.Arrays.toString(t.shape())
                            + ", the adapter's tensor " + java.util.Arrays.toString(params.get(i).shape()));
                out.put(i + "." + k, Tensor.of(t.data(), t.data().length));
            }
        }
        return out;
    }

    /** One of torch.optim.AdamW's param groups, with the keys torch 2 writes. */
    private static Map<String, Object> group(TrainingConfig cfg, double weightDecay, double lr, double initialLr, List<Object> params) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("weight_decay", weightDecay);
        g.put("lr", lr);
        g.put("betas", new TorchSave.Tuple(cfg.optimizer().adamBeta1(), cfg.optimizer().adamBeta2()));
        g.put("eps", cfg.optimizer().adamEpsilon());
        g.put("amsgrad", false);
        g.put("foreach", null);
        g.put("maximize", false);
        g.put("capturable", false);
        g.put("differentiable", false);
        g.put("fused", null);
        g.put("initial_lr", initialLr);
        g.put("params", params);
        return g;
    }
}
