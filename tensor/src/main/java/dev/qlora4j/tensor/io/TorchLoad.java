package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads what {@code torch.save} writes (the zip format) for plain state dicts — an optimizer's
 * or a scheduler's — the way {@code torch.load(weights_only=True)} does: a pickle machine that
 * knows only the opcodes of protocols 2 to 4 such files use and only these globals:
 * {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and the
 * {@code torch.*Storage} types. Anything else is refused with an error naming the file; no code
 * from the file runs. Values come back as {@link Map}, {@link List}, {@link TorchSave.Tuple},
 * {@link String}, {@link Long}, {@link Double}, {@link Boolean}, null and, for tensors of
 * floating dtypes, {@link TorchSave.FloatTensor} (values widened to float32).
 */
public final class TorchLoad {
    private TorchLoad() {}

    /** The object the file holds. */
    public static Object read(Path file) {
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "no such file");
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry pkl = zip.stream().filter(e -> e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl"))
                    .findFirst().orElseThrow(() -> BadInputException.at(file.toString(), "not a torch.save zip (no data.pkl)"));
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null && !new String(read(zip, order), StandardCharsets.US_ASCII).strip().equals("little"))
                throw BadInputException.at(file.toString(), "big-endian torch files are not supported");
            return new Unpickler(read(zip, pkl), key -> {
                ZipEntry e = zip.getEntry(prefix + "data/" + key);
                if (e == null) throw BadInputException.at(file.toString(), "the pickle names storage " + key + ", which the file lacks");
                return read(zip, e);
            }, file).load();
        } catch (IOException e) {
            throw BadInputException.at(file.toString(), "cannot read the torch file: " + e.getMessage());
        }
    }

    private static byte[] read(ZipFile zip, ZipEntry e) {
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private interface Storages {
        byte[] bytes(String key);
    }

    /** A global the pickle may name. */
    private record Global(String module, String name) {}

    /** A storage by persistent id: its element type and raw bytes. */
    private record Storage(String type, byte[] bytes) {}

    /** A not-yet-built {@code OrderedDict()} or a tensor. */
    private record Call(Global fn, List<?> args) {}

    private static final class Unpickler {
        private static final Object MARK = new Object();
        private final ByteBuffer in;
        private final Storages storages;
        private final Path file;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();

        Unpickler(byte[] pickle, Storages storages, Path file) {
            this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
            this.storages = storages;
            this.file = file;
        }

        private BadInputException bad(String why) {
            return BadInputException.at(file.toString(), why);
        }

        Object load() {
            while (true) {
                if (!in.hasRemaining()) throw bad("the pickle ends without STOP");
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> in.get();                                   // PROTO
                    case 0x95 -> in.getLong();                               // FRAME (protocol 4)
                    case '.' -> {                                            // STOP
                        return pop();
                    }
                    case '(' -> stack.add(MARK);
                    case '}' -> stack.add(new LinkedHashMap<>());
                    case ']' -> stack.add(new ArrayList<>());
                    case ')' -> stack.add(new TorchSave.Tuple(List.of()));
                    case 'N' -> stack.add(null);
                    case 0x88 -> stack.add(Boolean.TRUE);
                    case 0x89 -> stack.add(Boolean.FALSE);
                    case 'K' -> stack.add((long) (in.get() & 0xff));         // BININT1
                    case 'M' -> stack.add((long) (in.getShort() & 0xffff));  // BININT2
                    case 'J' -> stack.add((long) in.getInt());               // BININT
                    case 0x8a -> stack.add(long1());                         // LONG1
                    case 'G' -> stack.add(binfloat());                       // BINFLOAT, big-endian
                    case 'X' -> stack.add(string(in.getInt()));              // BINUNICODE
                    case 0x8c -> stack.add(string(in.get() & 0xff));         // SHORT_BINUNICODE
                    case 'q' -> memo.put((long) (in.get() & 0xff), peek());  // BINPUT
                    case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek()); // LONG_BINPUT
                    case 0x94 -> memo.put((long) memo.size(), peek());       // MEMOIZE
                    case 'h' -> stack.add(memo(in.get() & 0xff));            // BINGET
                    case 'j' -> stack.add(memo(in.getInt() & 0xffffffffL));  // LONG_BINGET
                    case 't' -> stack.add(new TorchSave.Tuple(popToMark()));
                    case 0x85 -> stack.add(new TorchSave.Tuple(java.util.Collections.singletonList(pop())));
                    case 0x86 -> {
                        Object b = pop(), a = pop();
                        stack.add(new TorchSave.Tuple(Arrays.asList(a, b)));
                    }
                    case 0x87 -> {
                        Object c = pop(), b = pop(), a = pop();
                        stack.add(new TorchSave.Tuple(Arrays.asList(a, b, c)));
                    }
                    case 'a' -> {                                            // APPEND
                        Object v = pop();
                        list(peek()).add(v);
                    }
                    case 'e' -> {                                            // APPENDS
                        List<Object> items = popToMark();
                        list(peek()).addAll(items);
                    }
                    case 's' -> {                                            // SETITEM
                        Object v = pop(), k = pop();
                        dict(peek()).put(k, v);
                    }
                    case 'u' -> {                                            // SETITEMS
                        List<Object> items = popToMark();
                        Map<Object, Object> d = dict(peek());
                        for (int i = 0; i + 1 < items.size(); i += 2) d.put(items.get(i), items.get(i + 1));
                    }
                    case 'c' -> stack.add(global(line(), line()));           // GLOBAL
                    case 0x93 -> {                                           // STACK_GLOBAL
                        Object name = pop(), module = pop();
                        stack.add(global(String.valueOf(module), String.valueOf(name)));
                    }
                    case 'Q' -> stack.add(persistent(pop()));                // BINPERSID
                    case 'R' -> {                                            // REDUCE
                        Object args = pop(), fn = pop();
                        stack.add(reduce(fn, args));
                    }
                    case 'b' -> {                                            // BUILD: state on an OrderedDict/tensor, ignored
                        pop();
                    }
                    default -> throw bad(String.format("the pickle uses opcode 0x%02x, which a weights-only load refuses", op));
                }
            }
        }

        private Object pop() {
            if (stack.isEmpty()) throw bad("the pickle pops an empty stack");
            Object v = stack.removeLast();
            if (v == MARK) throw bad("the pickle pops a mark");
            return v;
        }

        private Object peek() {
            if (stack.isEmpty()) throw bad("the pickle reads an empty stack");
            return stack.getLast();
        }

        private List<Object> popToMark() {
            int m = stack.lastIndexOf(MARK);
            if (m < 0) throw bad("the pickle has no mark to pop to");
            List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
            stack.subList(m, stack.size()).clear();
            return items;
        }

        private Object memo(long key) {
            if (!memo.containsKey(key)) throw bad("the pickle reads memo " + key + ", which it never stored");
            return memo.get(key);
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(Object o) {
            if (o instanceof List<?> l) return (List<Object>) l;
            throw bad("the pickle appends to something that is not a list");
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> dict(Object o) {
            if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
            throw bad("the pickle sets an item on something that is not a dict");
        }

        private double binfloat() {
            long bits = 0;
            for (int i = 0; i < 8; i++) bits = bits << 8 | (in.get() & 0xffL);
            return Double.longBitsToDouble(bits);
        }

        private long long1() {
            int n = in.get() & 0xff;
            if (n > 8) throw bad("the pickle holds an integer of " + n + " bytes");
            long v = 0;
            for (int i = 0; i < n; i++) v |= (in.get() & 0xffL) << (8 * i);
            if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) v |= -1L << (8 * n);   // sign-extend
            return v;
        }

        private String string(int length) {
            byte[] b = new byte[length];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        private String line() {
            StringBuilder sb = new StringBuilder();
            for (byte c; (c = in.get()) != '\n'; ) sb.append((char) c);
            return sb.toString();
        }

        private Global global(String module, String name) {
            boolean allowed = module.equals("collections") && name.equals("OrderedDict")
                    || module.equals("torch._utils") && name.equals("_rebuild_tensor_v2")
                    || module.equals("torch") && name.endsWith("Storage");
            if (!allowed) throw bad("the pickle names " + module + "." + name + ", which a weights-only load refuses");
            return new Global(module, name);
        }

        /** ('storage', storage type, key, location, numel) → the storage's bytes. */
        private Storage persistent(Object pid) {
            if (!(pid instanceof TorchSave.Tuple(List<?> t)) || t.size() < 3 || !"storage".equals(t.get(0))
                    || !(t.get(1) instanceof Global type))
                throw bad("the pickle has a persistent id that is not a storage");
            return new Storage(type.name(), storages.bytes(String.valueOf(t.get(2))));
        }

        private Object reduce(Object fn, Object args) {
            if (!(fn instanceof Global g) || !(args instanceof TorchSave.Tuple(List<?> a))) throw bad("the pickle calls something that is not a known global");
            if (g.name().equals("OrderedDict")) return new LinkedHashMap<>();
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (a.size() < 4 || !(a.get(0) instanceof Storage s) || !(a.get(1) instanceof Long offset)
                    || !(a.get(2) instanceof TorchSave.Tuple(List<?> size)) || !(a.get(3) instanceof TorchSave.Tuple(List<?> stride)))
                throw bad("the pickle rebuilds a tensor with arguments of the wrong kind");
            return tensor(s, offset, size, stride);
        }

        private TorchSave.FloatTensor tensor(Storage s, long offset, List<?> sizeList, List<?> strideList) {
            int rank = sizeList.size();
            int[] shape = new int[rank];
            long[] stride = new long[rank];
            long numel = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = Math.toIntExact((Long) sizeList.get(d));
                stride[d] = (Long) strideList.get(d);
                numel *= shape[d];
            }
            int width = switch (s.type()) {
                case "FloatStorage" -> 4;
                case "BFloat16Storage", "HalfStorage" -> 2;
                case "DoubleStorage" -> 8;
                default -> throw bad("a tensor of " + s.type() + " is not supported (floating storages only)");
            };
            boolean half = s.type().equals("HalfStorage");
            ByteBuffer b = ByteBuffer.wrap(s.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[Math.toIntExact(numel)];
            int[] idx = new int[rank];
            for (int e = 0; e < out.length; e++) {
                long at = offset;
                for (int d = 0; d < rank; d++) at += idx[d] * stride[d];
                long byteAt = at * width;
                if (byteAt < 0 || byteAt + width > s.bytes().length) throw bad("a tensor reads past its storage");
                int p = (int) byteAt;
                out[e] = switch (width) {
                    case 4 -> b.getFloat(p);
                    case 8 -> (float) b.getDouble(p);
                    default -> half ? Float.float16ToFloat(b.getShort(p)) : Float.intBitsToFloat((b.getShort(p) & 0xffff) << 16);
                };
                for (int d = rank - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
            }
            return new TorchSave.FloatTensor(out, shape);
        }
    }
}
